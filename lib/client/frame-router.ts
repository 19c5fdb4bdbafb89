import {
  ReservedEvent,
  type MessageData,
  type PresenceEventData,
  type WelcomeData,
} from '../protocol/frames.js';

/** Where each kind of server frame goes. */
export interface FrameRoutes {
  welcome(welcome: WelcomeData): void;
  message(message: MessageData): void;
  /** A `positions` frame: the positions, and the renewed session token it may carry. */
  positions(positions: unknown, sessionToken: unknown): void;
  presence(event: PresenceEventData): void;
  /** The server asks for a new token: the connection's credentials are about to expire. */
  refresh(): void;
  /**
   * An `ack` or `error` frame, for the request whose id it carries.
   * @returns false when no request has this id.
   */
  answer(id: unknown, event: 'ack' | 'error', data: unknown): boolean;
  /** An `error` frame that answers no request. */
  unansweredError(data: unknown): void;
  /** A frame that cannot be read at all. */
  malformed(what: string): void;
}

/**
 * Parses a server frame and hands it to its route. Only the shape that routing needs is
 * checked here; each route checks the `data` it relies on.
 */
export function routeFrame(raw: unknown, routes: FrameRoutes): void {
  let frame: { event?: unknown; id?: unknown; data?: any };
  try {
    frame = JSON.parse(String(raw));
  } catch {
    return routes.malformed('The server sent a frame that is not JSON');
  }
  switch (frame?.event) {
    case ReservedEvent.Welcome:
      return routes.welcome(frame.data as WelcomeData);
    case ReservedEvent.Message:
      return routes.message(frame.data as MessageData);
    case ReservedEvent.Positions:
      return routes.positions(frame.data?.positions, frame.data?.sessionToken);
    case ReservedEvent.Presence:
      return routes.presence(frame.data as PresenceEventData);
    case ReservedEvent.Refresh:
      return routes.refresh();
    case ReservedEvent.Ack:
    case ReservedEvent.Error:
      if (routes.answer(frame.id, frame.event, frame.data)) return;
      if (frame.event === ReservedEvent.Error) routes.unansweredError(frame.data);
      return;
    default:
    // Other events (a gateway's own pushes) are not part of the SDK's protocol: ignored, so
    // that a newer server can add events without breaking older clients.
  }
}
