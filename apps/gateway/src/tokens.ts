export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const MESSAGING_CONFIG = Symbol('MESSAGING_CONFIG');
export const CODE_SENDER = Symbol('CODE_SENDER');
export const PRESENCE_CONFIG = Symbol('PRESENCE_CONFIG');
export const PROCESS_CONFIG = Symbol('PROCESS_CONFIG');
