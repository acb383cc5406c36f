/** Injection tokens shared by every app. */
export const LOGGER = Symbol('LOGGER');
export const CLOCK = Symbol('CLOCK');
export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');
export const PROCESS_CONFIG = Symbol('PROCESS_CONFIG');
