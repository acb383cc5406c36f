export const RETENTION = Symbol('RETENTION');
export const MEDIA = Symbol('MEDIA');
export const PROJECTOR_SETTINGS = Symbol('PROJECTOR_SETTINGS');
