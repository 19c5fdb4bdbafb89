import { Body, Controller, Post } from '@nestjs/common';
import { Broadcaster, type PresenceMember } from '../../../lib/index.js';

/** HTTP endpoints through which multi-process tests drive an instance's Broadcaster. */
@Controller('control')
export class ControlController {
  constructor(private readonly broadcaster: Broadcaster) {}

  @Post('publish')
  async publish(@Body() body: { topic: string; payload: unknown }): Promise<{ offset: string }> {
    return { offset: await this.broadcaster.publish(body.topic, body.payload) };
  }

  /** Publishes `count` messages `{seq, from}` in order, each awaited (one publisher's order). */
  @Post('publish-many')
  async publishMany(
    @Body() body: { topic: string; count: number; from: string; intervalMs?: number },
  ): Promise<{ offsets: string[] }> {
    const offsets: string[] = [];
    for (let seq = 0; seq < body.count; seq++) {
      offsets.push(await this.broadcaster.publish(body.topic, { seq, from: body.from }));
      if (body.intervalMs) await new Promise((r) => setTimeout(r, body.intervalMs));
    }
    return { offsets };
  }

  @Post('broadcast')
  async broadcast(@Body() body: { payload: unknown }): Promise<{ offset: string }> {
    return { offset: await this.broadcaster.broadcast(body.payload) };
  }

  @Post('send')
  async send(@Body() body: { ids: string[]; payload: unknown }): Promise<{ offsets: string[] }> {
    return { offsets: await this.broadcaster.sendToConnection(body.ids, body.payload) };
  }

  @Post('send-user')
  async sendUser(@Body() body: { userId: string; payload: unknown }): Promise<{ offset: string }> {
    return { offset: await this.broadcaster.sendToUser(body.userId, body.payload) };
  }

  @Post('presence')
  async presence(@Body() body: { topic: string }): Promise<{ members: PresenceMember[] }> {
    return { members: await this.broadcaster.presence(body.topic) };
  }

  @Post('disconnect')
  async disconnect(
    @Body() body: { id: string; code?: number; reason?: string },
  ): Promise<{ ok: true }> {
    await this.broadcaster.disconnect(body.id, body.code, body.reason);
    return { ok: true };
  }
}
