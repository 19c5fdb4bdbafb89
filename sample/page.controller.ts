import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { readFileSync } from 'node:fs';

const publicDir = new URL('./public/', import.meta.url);
const assets: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'dws-client.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

interface ExpressLikeResponse {
  type(contentType: string): { send(body: string): void };
}

/** Serves the chat page and its scripts (no static-file package needed for two files). */
@Controller()
export class PageController {
  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  page(): string {
    return readFileSync(new URL('index.html', publicDir), 'utf8');
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Res() res: ExpressLikeResponse): void {
    if (!Object.hasOwn(assets, name)) throw new NotFoundException();
    res.type(assets[name]).send(readFileSync(new URL(name, publicDir), 'utf8'));
  }
}
