import { accessSync, constants } from 'node:fs';
import { IsInt, Matches, Max, Min, ValidateBy, ValidateIf, type ValidationOptions } from 'class-validator';
import { BIND_ADDRESS } from './common.config.js';
import { ToInt } from './transforms.js';

/** A path this process can read (checked once, at boot). */
function IsReadableFile(options: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isReadableFile',
      validator: {
        validate: (value: unknown) => {
          if (typeof value !== 'string') return false;
          try {
            accessSync(value, constants.R_OK);
            return true;
          } catch {
            return false;
          }
        },
      },
    },
    options,
  );
}

const tlsConfigured = (c: PublicHttpConfig): boolean =>
  c.TLS_CERT_FILE !== undefined || c.TLS_KEY_FILE !== undefined;

/**
 * The public API port (HTTP and WebSocket) of the gateway. With a certificate and key it serves HTTPS
 * and WSS on that port; the files are re-read on SIGHUP and when they change (docs/operations.md).
 */
export class PublicHttpConfig {
  @Matches(BIND_ADDRESS, { message: 'an IP address or localhost to bind' })
  HTTP_HOST = '127.0.0.1';

  @ToInt()
  @IsInt({ message: 'an integer TCP port (0 picks a free one)' })
  @Min(0, { message: 'a port between 0 and 65535' })
  @Max(65535, { message: 'a port between 0 and 65535' })
  HTTP_PORT = 3000;

  /** PEM certificate chain (leaf first). Set together with TLS_KEY_FILE, or neither for plain HTTP. */
  @ValidateIf(tlsConfigured)
  @IsReadableFile({ message: 'a readable PEM certificate file, set together with TLS_KEY_FILE' })
  TLS_CERT_FILE?: string;

  /** PEM private key of the certificate. */
  @ValidateIf(tlsConfigured)
  @IsReadableFile({ message: 'a readable PEM private key file, set together with TLS_CERT_FILE' })
  TLS_KEY_FILE?: string;
}
