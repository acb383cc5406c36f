/**
 * A point as the log stores it: one string "<latitude>,<longitude>", so it is sealed as the sender's
 * personal data like a text (sealing takes strings). JavaScript's number to string round-trips exactly.
 */
export function coordinatesOf(latitude: number, longitude: number): string {
  return `${latitude},${longitude}`;
}

/** The point a stored coordinates string names; undefined for anything else (a forgotten user's "[forgotten]"). */
export function parseCoordinates(coordinates: string): { latitude: number; longitude: number } | undefined {
  const [lat, lng, ...rest] = coordinates.split(',');
  if (rest.length > 0 || !lat?.trim() || !lng?.trim()) return undefined;
  const latitude = Number(lat);
  const longitude = Number(lng);
  return validPoint(latitude, longitude) ? { latitude, longitude } : undefined;
}

/** Latitude -90..90 and longitude -180..180, decimal degrees. */
export function validPoint(latitude: number, longitude: number): boolean {
  return (
    Number.isFinite(latitude) &&
    Number.isFinite(longitude) &&
    Math.abs(latitude) <= 90 &&
    Math.abs(longitude) <= 180
  );
}
