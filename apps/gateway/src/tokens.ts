export const AUTH_CONFIG = Symbol('AUTH_CONFIG');
export const MESSAGING_CONFIG = Symbol('MESSAGING_CONFIG');
export const CODE_SENDER = Symbol('CODE_SENDER');
export const MEDIA_CONFIG = Symbol('MEDIA_CONFIG');
export const GROUPS_CONFIG = Symbol('GROUPS_CONFIG');
export const PRESENCE_CONFIG = Symbol('PRESENCE_CONFIG');
export const LIMITS_CONFIG = Symbol('LIMITS_CONFIG');
export const PROFILE_CONFIG = Symbol('PROFILE_CONFIG');
