/**
 * Topics every connection holds without subscribing. Their first level starts with `$`, so MQTT
 * wildcards never match them and clients may never publish to them: direct messages and
 * broadcast are ordinary topics of the backplane, ordered and replayable like any other.
 */

/** Every connection receives it (`Broadcaster.broadcast`). */
export const BROADCAST_TOPIC = '$dws/broadcast';
export const CONNECTION_TOPIC_PREFIX = '$dws/conn/';
export const USER_TOPIC_PREFIX = '$dws/user/';

/** The topic of one connection's session (`Broadcaster.sendToConnection`). */
export function connectionTopic(id: string): string {
  return CONNECTION_TOPIC_PREFIX + id;
}

/** The topic of every connection of one user (`Broadcaster.sendToUser`). */
export function userTopic(userId: string): string {
  return USER_TOPIC_PREFIX + userId;
}

/** The implicit topics of a connection with this session id and user (null: anonymous). */
export function implicitTopics(id: string, userId: string | null): string[] {
  const topics = [BROADCAST_TOPIC, connectionTopic(id)];
  if (userId !== null) topics.push(userTopic(userId));
  return topics;
}
