export const RETENTION = Symbol('RETENTION');
