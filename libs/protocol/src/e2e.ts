/**
 * End-to-end encryption (issue 17): what crosses the wire about keys and ciphertexts. Every key and body
 * is standard base64 and opaque to the server; see docs/protocol.md "End-to-end encryption".
 */

/** One device's ciphertext of a pairwise-encrypted message, as the sender addresses it. */
export interface E2eEnvelope {
  readonly deviceId: string;
  /** The registration id the sender's session with that device knows (a reinstall changes it: stale). */
  readonly registrationId: number;
  /** libsignal's CiphertextMessageType (2 whisper, 3 prekey, 7 sender key distribution, ...). */
  readonly type: number;
  readonly body: string;
}

/** The `e2e` of `message.send` (instead of `text` or `media`). */
export type E2eSend =
  | {
      readonly kind: 'envelopes';
      /** One per current device of every member with keys, the sender's other devices included. */
      readonly envelopes: readonly E2eEnvelope[];
      /**
       * Groups: the envelopes carry the sender's sender key; they may cover only part of the devices
       * (a large group's distribution takes several frames), none may be stale or unknown.
       */
      readonly distribution?: boolean;
      /** Encrypted uploads the envelopes point to (their keys are inside): recipients may download them. */
      readonly mediaIds?: readonly string[];
    }
  | {
      readonly kind: 'sender_key';
      /** One group ciphertext, the same for every member device. */
      readonly body: string;
      /** The `membersVersion` the sender's sender key was last distributed at. */
      readonly distributionVersion: number;
      readonly mediaIds?: readonly string[];
    };

/**
 * The `e2e` of a message as a device receives it: its own envelope only (`type` and `body`), or the group
 * ciphertext. History and conversation lists carry the marker without a body.
 */
export interface MessageE2e {
  readonly kind: 'envelope' | 'sender_key';
  readonly type?: number;
  readonly body?: string;
  readonly distribution?: true;
  readonly distributionVersion?: number;
  /** Encrypted uploads the message points to: `POST /v1/media/:mediaId/download` with this message. */
  readonly mediaIds?: readonly string[];
}

/** A device named in an E2E_DEVICES_MISMATCH. */
export interface E2eDeviceRef {
  readonly userId: string;
  readonly deviceId: string;
}

/**
 * `details` of E2E_DEVICES_MISMATCH: devices of members with no envelope (fetch their bundles), envelopes
 * for devices that are not current (drop their sessions), and envelopes with an old registration id
 * (the device was reinstalled: fetch its bundle again).
 */
export interface E2eDevicesMismatch {
  readonly missingDevices: readonly E2eDeviceRef[];
  readonly extraDevices: readonly E2eDeviceRef[];
  readonly staleDevices: readonly E2eDeviceRef[];
}

export interface PublicPreKey {
  readonly keyId: number;
  readonly publicKey: string;
}
export interface SignedPublicPreKey extends PublicPreKey {
  readonly signature: string;
}

/** One device's prekey bundle: what a sender needs to start a session with it (PQXDH). */
export interface DeviceBundle {
  readonly deviceId: string;
  readonly registrationId: number;
  readonly identityKey: string;
  readonly signedPreKey: SignedPublicPreKey;
  /** A one-time EC prekey claimed for this requester, absent when the device has none left. */
  readonly preKey?: PublicPreKey;
  /** A one-time Kyber prekey claimed for this requester, or the device's last-resort one. */
  readonly kyberPreKey: SignedPublicPreKey & { readonly lastResort: boolean };
}

/** `GET /v1/keys/:userId`: one bundle per device of the user that published keys. */
export interface UserBundles {
  readonly userId: string;
  readonly identityKey: string;
  readonly devices: readonly DeviceBundle[];
}

/** One-time prekeys a device has left (`GET /v1/keys/count`, and the `prekeys.low` frame). */
export interface PreKeyCounts {
  readonly ec: number;
  readonly kyber: number;
  /** Below this many of either kind the server pushes `prekeys.low`. */
  readonly threshold: number;
}

/** `GET /v1/keys/conversation/:conversationId/devices`: every member device that takes part in E2E. */
export interface ConversationDevices {
  readonly conversationId: string;
  readonly devices: ReadonlyArray<E2eDeviceRef & { readonly registrationId: number }>;
}
