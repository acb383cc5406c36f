export const RETENTION = Symbol('RETENTION');
export const PROJECTOR_SETTINGS = Symbol('PROJECTOR_SETTINGS');
