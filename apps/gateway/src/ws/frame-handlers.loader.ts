import { readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Type } from '@nestjs/common';
import { frameHandlerClasses } from './frame-handler.js';

const HANDLERS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'handlers');

/**
 * Loads every `*.handler.js` file under ws/handlers (any depth), so that each @FrameHandler class
 * registers itself, and returns the registered classes. Adding a frame type is adding a file: there is
 * no list of handlers to edit. The frame router refuses to start if a protocol frame type is unbound.
 */
export async function loadFrameHandlers(): Promise<Type[]> {
  const files = (await readdir(HANDLERS_DIR, { recursive: true }))
    .filter((f) => /\.handlers?\.js$/.test(f))
    .sort();
  for (const file of files) await import(pathToFileURL(join(HANDLERS_DIR, file)).href);
  return frameHandlerClasses();
}
