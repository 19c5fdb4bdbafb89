import type { AsyncApiSecurityInput } from './asyncapi.interface.js';
import type { ControlMessage } from './control-message.js';
import { CONNECTION_DESCRIPTION } from './protocol-text.js';
import { upgradeBinding } from './servers.builder.js';
import { CONNECTION, connectionMessage, connectionReply, ref } from './topic-channels.js';

type Json = Record<string, unknown>;

/** Control operations: id, action, request message, reply messages (empty: no reply). */
const CONTROL_OPERATIONS: [string, 'send' | 'receive', string, string[]][] = [
  ['sendWelcome', 'send', 'welcome', []],
  ['receiveSubscribe', 'receive', 'subscribe', ['subscribeAck', 'error']],
  ['receiveUnsubscribe', 'receive', 'unsubscribe', ['unsubscribeAck', 'error']],
  ['receivePublish', 'receive', 'publish', ['publishAck', 'error']],
  ['receiveResume', 'receive', 'resume', ['resumeAck', 'error']],
  ['receivePresence', 'receive', 'presence', ['presenceAck', 'error']],
  ['sendMessage', 'send', 'message', []],
  ['sendPresence', 'send', 'presenceEvent', []],
  ['sendPositions', 'send', 'positions', []],
  ['sendError', 'send', 'error', []],
];

/** Ids of the control operations, claimed before any declaration's. */
export const CONTROL_OPERATION_IDS = CONTROL_OPERATIONS.map(([id]) => id);

/** The operations of the control protocol, keyed by id, in the order a client meets them. */
export function controlOperations(control: ControlMessage[]): Json {
  const operations: Json = {};
  for (const [id, action, request, replies] of CONTROL_OPERATIONS) {
    operations[id] = controlOperation(action, request, replies, control);
  }
  return operations;
}

function controlOperation(
  action: 'send' | 'receive',
  request: string,
  replies: string[],
  control: ControlMessage[],
): Json {
  const message = control.find((m) => m.key === request)!.message;
  const operation: Json = {
    action,
    channel: ref('channels', CONNECTION),
    title: request,
    summary: message.summary,
    messages: [connectionMessage(request)],
  };
  if (replies.length) operation.reply = connectionReply(...replies);
  return operation;
}

/** The connection channel: the control protocol, gateway events and the upgrade request. */
export function connectionChannel(
  address: string | null,
  messageKeys: string[],
  security: AsyncApiSecurityInput | undefined,
): Json {
  return {
    // The gateway path when there is one: a viewer labels the connection's operations with it.
    address,
    title: 'Connection',
    summary: 'Frames of the control protocol and gateway events.',
    description: CONNECTION_DESCRIPTION,
    messages: Object.fromEntries(
      messageKeys.map((key) => [key, ref('components', 'messages', key)]),
    ),
    bindings: { ws: upgradeBinding(security) },
  };
}
