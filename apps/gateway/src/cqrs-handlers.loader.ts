import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Type } from '@nestjs/common';

const SOURCE_DIR = dirname(fileURLToPath(import.meta.url));

/**
 * The gateway's @nestjs/cqrs handlers, found by one rule instead of a list: every export named
 * `…Handler` of a `*.handler.ts` file (any folder of the gateway). Loading a frame handler's file also
 * binds its frame types (@FrameHandler). The gateway module takes these classes as providers, where
 * the CQRS module finds them; the frame router refuses to start if a protocol frame type is unbound.
 */
export async function loadCqrsHandlers(): Promise<Type[]> {
  const files = (await readdir(SOURCE_DIR, { recursive: true }))
    .filter((f) => f.endsWith('.handler.js'))
    .sort();
  const handlers: Type[] = [];
  for (const file of files) {
    const exports = (await import(pathToFileURL(join(SOURCE_DIR, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(exports))
      if (name.endsWith('Handler') && typeof value === 'function') handlers.push(value as Type);
  }
  return handlers;
}
