import { readFileSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Reads a certificate and its key; throws when they are not PEM or the key does not match. */
export function readTlsPair(files: TlsFiles): { cert: Buffer; key: Buffer } {
  const pair = { cert: readFileSync(files.certFile), key: readFileSync(files.keyFile) };
  createSecureContext(pair);
  return pair;
}

const SETTLE_MS = 250;
const POLL_MS = 1000;

/**
 * Serves a renewed certificate without a restart: the pair is re-read on SIGHUP and when either file
 * changes (polled, so a rotation by rename or symlink swap counts too). Files are read once both have
 * settled; a pair that does not load (half written, key not matching yet) is logged and the certificate
 * in use stays. Connections already open keep the certificate they started with. Returns a stop function.
 */
export function reloadTlsOnChange(server: TlsServer, files: TlsFiles, logger: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  const reload = (why: string): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      try {
        server.setSecureContext(readTlsPair(files));
        logger.info({ why, certFile: files.certFile }, 'TLS certificate reloaded');
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        logger.warn(
          { why, reason, certFile: files.certFile },
          'TLS certificate not reloaded; the current one stays',
        );
      }
    }, SETTLE_MS);
    timer.unref();
  };
  const onHangup = (): void => reload('SIGHUP');
  const onChange = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size)
      reload('file changed');
  };
  process.on('SIGHUP', onHangup);
  for (const file of [files.certFile, files.keyFile])
    watchFile(file, { interval: POLL_MS, persistent: false }, onChange);
  return () => {
    clearTimeout(timer);
    process.off('SIGHUP', onHangup);
    for (const file of [files.certFile, files.keyFile]) unwatchFile(file, onChange);
  };
}
