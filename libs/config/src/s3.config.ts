import { IsBoolean, IsString, IsUrl, Matches, MinLength } from 'class-validator';
import { ToBool } from './transforms.js';

export class S3Config {
  @IsUrl(
    { require_tld: false, protocols: ['http', 'https'] },
    { message: 'an http(s):// URL of the S3 endpoint' },
  )
  S3_ENDPOINT!: string;

  @IsString({ message: 'an S3 region, e.g. us-east-1' })
  S3_REGION = 'us-east-1';

  @MinLength(1, { message: 'an access key id' })
  S3_ACCESS_KEY_ID!: string;

  @MinLength(1, { message: 'a secret access key' })
  S3_SECRET_ACCESS_KEY!: string;

  @Matches(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'an S3 bucket name (3-63 lowercase chars)' })
  S3_BUCKET!: string;

  /** Path-style addressing is what S3Proxy and MinIO expect. */
  @ToBool()
  @IsBoolean({ message: 'true or false' })
  S3_FORCE_PATH_STYLE = true;
}
