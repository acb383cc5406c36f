export const RETENTION = Symbol('RETENTION');
export const MEDIA = Symbol('MEDIA');
