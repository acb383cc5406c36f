import { IsInt, IsString, IsUrl, Matches, Max, Min } from 'class-validator';
import { ToInt, ToList } from '#libs/config';

const URL_OPTS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/** When the notifier pushes, and how hard it tries. */
export class PushPolicyConfig {
  /** How long a recipient device has to acknowledge a message before it gets a push. */
  @ToInt()
  @IsInt()
  @Min(0)
  PUSH_GRACE_MS = 3000;

  /** Messages older than this when first seen (a new consumer replaying history) get no push. */
  @ToInt()
  @IsInt()
  @Min(1000)
  PUSH_MAX_AGE_MS = 300_000;

  /** A device whose registry entry is older than this counts as offline (the presence threshold). */
  @ToInt()
  @IsInt()
  @Min(1000)
  PUSH_ONLINE_THRESHOLD_MS = 15_000;

  /** Messages of one conversation for one device within this window collapse into one push with a count. */
  @ToInt()
  @IsInt()
  @Min(0)
  PUSH_COLLAPSE_WINDOW_MS = 60_000;

  /** How long "pushed (device, message)" is remembered. */
  @ToInt()
  @IsInt()
  @Min(60)
  PUSH_DEDUPE_TTL_SECONDS = 7 * 86_400;

  /** A push being sent holds its claim this long; a notifier that dies mid-send lets another retry after it. */
  @ToInt()
  @IsInt()
  @Min(500)
  PUSH_CLAIM_LEASE_MS = 60_000;

  /** JetStream ack wait of the notifier's consumer: a killed notifier's messages come back after it. */
  @ToInt()
  @IsInt()
  @Min(1000)
  PUSH_ACK_WAIT_MS = 30_000;

  @ToInt()
  @IsInt()
  @Min(100)
  PUSH_REQUEST_TIMEOUT_MS = 5000;

  /** Attempts per notification and token, the first included, before it is dead-lettered. */
  @ToInt()
  @IsInt()
  @Min(1)
  @Max(20)
  PUSH_MAX_ATTEMPTS = 5;

  @ToInt()
  @IsInt()
  @Min(1)
  PUSH_RETRY_BASE_MS = 500;

  @ToInt()
  @IsInt()
  @Min(1)
  PUSH_RETRY_MAX_MS = 30_000;

  /** Requests in flight per provider, so a slow provider cannot hold up the others. */
  @ToInt()
  @IsInt()
  @Min(1)
  PUSH_CONCURRENCY_PER_PROVIDER = 64;
}

/** Firebase Cloud Messaging HTTP v1, with a service account's OAuth2 token. Empty project: FCM off. */
export class FcmConfig {
  @IsString()
  FCM_PROJECT_ID = '';

  @IsString()
  FCM_CLIENT_EMAIL = '';

  /** The service account's PEM private key (literal \n accepted). */
  @IsString()
  FCM_PRIVATE_KEY = '';

  @IsUrl(URL_OPTS)
  FCM_TOKEN_URL = 'https://oauth2.googleapis.com/token';

  @IsUrl(URL_OPTS)
  FCM_ENDPOINT = 'https://fcm.googleapis.com';
}

/** Apple Push Notification service over HTTP/2 with an ES256 provider token. Empty key id: APNs off. */
export class ApnsConfig {
  @IsString()
  APNS_KEY_ID = '';

  @IsString()
  APNS_TEAM_ID = '';

  /** The .p8 key (PEM, PKCS#8, literal \n accepted). */
  @IsString()
  APNS_PRIVATE_KEY = '';

  /** The app's bundle id (apns-topic). */
  @IsString()
  APNS_TOPIC = '';

  @IsUrl(URL_OPTS)
  APNS_PRODUCTION_URL = 'https://api.push.apple.com';

  @IsUrl(URL_OPTS)
  APNS_SANDBOX_URL = 'https://api.sandbox.push.apple.com';
}

/** Web Push with VAPID (the endpoint comes with each subscription). Empty keys: Web Push off. */
export class WebPushConfig {
  @IsString()
  VAPID_PUBLIC_KEY = '';

  @IsString()
  VAPID_PRIVATE_KEY = '';

  @IsString()
  VAPID_SUBJECT = 'mailto:push@example.com';

  /**
   * Web Push endpoints come from clients: the notifier posts only to these push services (a host or any
   * subdomain of it), over https (plain http only for localhost and 127.0.0.1), so a subscription cannot
   * point it at an internal address.
   */
  @ToList()
  @Matches(/^[\w.-]+$/, { each: true, message: 'a comma-separated list of host names' })
  WEBPUSH_ENDPOINT_HOSTS: string[] = [
    'fcm.googleapis.com',
    'updates.push.services.mozilla.com',
    'notify.windows.com',
    'push.apple.com',
  ];
}
