import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Broker } from '../broker/broker.interface.js';
import { ReplayReads } from '../broker/replay-reads.js';
import { sessionGenerationStore } from '../broker/session-generations.js';
import { RuntimeOptions } from '../distributed-ws.config.js';
import { TopicPolicy } from '../explorer/topic-policy.js';
import { DWS_BROKER } from '../distributed-ws.constants.js';
import { BrokerUnavailableError } from '../errors/broker-unavailable.error.js';
import { DWS_METRICS, type DwsMetrics } from '../metrics/metrics.interface.js';
import { PresenceTracker } from '../presence/presence.tracker.js';
import { CloseCode } from '../protocol/close-codes.js';
import type { ClientFrame } from '../protocol/frames.js';
import { SessionTokens } from '../security/session-token.js';
import { ConnectionRegistry } from './connection-registry.js';
import type { Connection } from './connection.js';
import { FrameCache } from './resume/frame-cache.js';
import { LiveHandover, type ResumeOutcome } from './resume/live-handover.js';
import { parseResumeRequest } from './resume/resume-request.js';
import { SessionReplay } from './resume/session-replay.js';
import { SessionTakeover } from './resume/session-takeover.js';
import { SessionVerification } from './resume/session-verification.js';
import { ReplaySlots } from './resume/replay-slots.js';
import { AdmissionQueue, Stage } from './admission-queue.js';

/**
 * Upgrades completed and resume steps run per turn of the event loop during a wave (issue 18:
 * bench:failover, docs/reliability.md). A returning client takes three (its upgrade, its claim,
 * its take-over and replay), about 1 ms of CPU in all on the 2-core test machine. Node accepts
 * one connection per turn, so a turn holds about one client's work: accepts keep pace with
 * what is served, and the readers' batches and publishes are handled between turns.
 */
const ADMITTED_PER_TURN = 4;
/** The frame cache may hold this fraction of `replayCacheBytes` (docs/operations.md). */
const FRAME_CACHE_SHARE = 4;

/**
 * `resume`: a client back from a lost connection continues its session on this instance.
 *
 * Seam without loss or duplicate: live messages for the connection are held from the moment the
 * reader is at `snapshot`; the replay reads (client position, snapshot] from the logs; held
 * messages (all after `snapshot`) follow, minus those the client already had. A position that
 * cannot be honoured (epoch changed, trimmed, too many) answers `recovered: false`, and nothing
 * of the replay is sent: never a silent partial replay.
 *
 * The steps, one per file in resume/: verify the session and its subscriptions, take the session
 * over, read what it missed, hand it over to live delivery.
 */
@Injectable()
export class ResumeHandler implements OnModuleDestroy {
  private readonly verification: SessionVerification;
  private readonly takeover: SessionTakeover;
  private readonly replay: SessionReplay;
  private readonly handover: LiveHandover;
  private readonly slots: ReplaySlots;
  /** Shared with the adapter, which completes upgrades through it. */
  readonly admission = new AdmissionQueue(ADMITTED_PER_TURN);
  /** The frames of replayed and held messages, shared by the resumes of a wave. */
  readonly frames: FrameCache;

  constructor(
    connections: ConnectionRegistry,
    policy: TopicPolicy,
    runtime: RuntimeOptions,
    @Inject(DWS_BROKER) broker: Broker,
    @Inject(DWS_METRICS) metrics: DwsMetrics,
    presence: PresenceTracker,
    tokens: SessionTokens,
    reads: ReplayReads,
  ) {
    const generations = sessionGenerationStore(broker);
    this.verification = new SessionVerification(tokens, policy, presence, runtime, generations);
    this.takeover = new SessionTakeover(broker, connections, presence);
    this.replay = new SessionReplay(broker, runtime, reads);
    this.frames = new FrameCache(Math.floor(runtime.options.replayCacheBytes / FRAME_CACHE_SHARE));
    this.handover = new LiveHandover(tokens, metrics, runtime, this.frames);
    this.slots = new ReplaySlots(runtime.options.maxConcurrentReplays);
  }

  onModuleDestroy(): void {
    this.frames.clear();
  }

  async resume(connection: Connection, frame: ClientFrame): Promise<string | null> {
    try {
      await this.resumeSession(connection, frame);
      return null;
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      this.verification.releaseClaim(connection);
      // The session is intact (its token and positions are still good): an error answer would
      // make a client give it up, so the client is told to come back and resume again.
      connection.close(CloseCode.TryAgainLater, 'backplane unavailable: reconnect and resume');
      return null;
    }
  }

  private async resumeSession(connection: Connection, frame: ClientFrame): Promise<void> {
    const { token, topics, positions, info } = parseResumeRequest(frame);
    // The token's HMAC and the claim; then, once claimed, the take-over, replay and answer.
    await this.admission.turn(Stage.Claim);
    if (!connection.open) return;
    const claims = await this.verification.claimsOf(connection, token);
    const { accepted, rejected } = await this.verification.authorize(connection, topics, info);
    const release = await this.slots.acquire();
    let outcome: ResumeOutcome;
    try {
      await this.admission.turn(Stage.Answer);
      // The socket may have closed while this resume waited (its hooks, its turn): a closed
      // connection must not take the session over, or it would stay registered for good.
      if (!connection.open) return;
      const snapshot = await this.takeover.takeOver(connection, claims, accepted, info);
      const wanted = this.replay.wanted(connection, accepted);
      const replay = await this.replay.missed(wanted, positions, snapshot);
      outcome = {
        replay,
        from: positions,
        snapshot,
        rejected,
        generation: claims.generation,
        pages: async (send) => !replay.recovered || this.replay.forEachPage(replay, wanted, send),
      };
    } finally {
      release();
    }
    // The claim is confirmed once the client has the ack: a pong to a ping sent after it proves
    // it (one stream, in order), with the claim's id as payload so that the pong of an earlier
    // heartbeat ping does not count. The ping leaves in the answer's last write.
    const id = this.verification.claimId(connection, claims.generation);
    const payload = id === null ? null : Buffer.from(id);
    if (await this.handover.answer(connection, frame, outcome, payload)) {
      this.confirmOnPong(connection, id!, payload!);
    }
  }

  private confirmOnPong(connection: Connection, id: string, payload: Buffer): void {
    const onPong = (data: Buffer) => {
      if (!payload.equals(data)) return;
      connection.ws.off('pong', onPong);
      this.verification.confirmClaim(connection, id);
    };
    connection.ws.on('pong', onPong);
  }
}
