/** Injection tokens of the notifier's configuration sections and ports. */
export const PUSH_POLICY = Symbol('PUSH_POLICY');
export const PUSH_SENDERS = Symbol('PUSH_SENDERS');
export const DEVICE_CONNECTIVITY = Symbol('DEVICE_CONNECTIVITY');
