/**
 * APK and JAR are ZIP files like DOCX and ODT, and an MSI installer is an OLE compound file like a .doc:
 * their first bytes alone do not tell a document from a program. These read what the container holds:
 * the names in a ZIP's central directory (what Android and Java read too), and the class id of a compound
 * file's root entry.
 */

/** Reads an inclusive byte range of the stored object. */
export type ReadRange = (start: number, end: number) => Promise<Buffer>;

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
/** End of central directory record (22 bytes) plus the longest comment a ZIP may carry. */
const EOCD_SEARCH = 22 + 0xffff;
/** A central directory beyond this is not read (about 300,000 entries): refused as unverifiable. */
const MAX_CENTRAL_DIRECTORY = 16 * 1024 * 1024;

export const APK = 'application/vnd.android.package-archive';
export const JAR = 'application/java-archive';
export const MSI = 'application/x-msi';

/** A program packaged as a ZIP, from its entry names: Android (manifest, dex) or Java (manifest, classes). */
export function zipProgramType(names: readonly string[]): string | undefined {
  for (const name of names) {
    if (name === 'AndroidManifest.xml' || /^classes\d*\.dex$/.test(name)) return APK;
    if (name === 'META-INF/MANIFEST.MF' || name.endsWith('.class')) return JAR;
  }
  return undefined;
}

/** The entry names of a ZIP's central directory; undefined when it has none we can read. */
export async function zipEntryNames(size: number, read: ReadRange): Promise<string[] | undefined> {
  const tailStart = Math.max(0, size - EOCD_SEARCH);
  const tail = await read(tailStart, size - 1);
  let at = tail.length - 22;
  while (at >= 0 && tail.readUInt32LE(at) !== EOCD_SIGNATURE) at--;
  if (at < 0) return undefined;
  const cdSize = tail.readUInt32LE(at + 12);
  const cdOffset = tail.readUInt32LE(at + 16);
  // ZIP64 marks (0xffffffff) and offsets outside the file are not a directory we can trust.
  if (cdSize === 0 || cdSize > MAX_CENTRAL_DIRECTORY || cdOffset + cdSize > size) return undefined;
  const cd = await read(cdOffset, cdOffset + cdSize - 1);
  const names: string[] = [];
  let p = 0;
  while (p + 46 <= cd.length && cd.readUInt32LE(p) === CENTRAL_SIGNATURE) {
    const nameLength = cd.readUInt16LE(p + 28);
    const skip = nameLength + cd.readUInt16LE(p + 30) + cd.readUInt16LE(p + 32);
    names.push(cd.toString('utf8', p + 46, p + 46 + nameLength));
    p += 46 + skip;
  }
  return names;
}

/** Root entry class ids of Windows Installer packages (.msi, .msp patch, .mst transform), little-endian. */
const INSTALLER_CLASS_IDS = [0x000c1084, 0x000c1086, 0x000c1082];
const OLE_CLASS_TAIL = Buffer.from([0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0x46]);

/** Whether an OLE compound file (its 512-byte header given) is a Windows Installer package. */
export async function isInstallerPackage(header: Buffer, size: number, read: ReadRange): Promise<boolean> {
  if (header.length < 0x34) return false;
  const sectorShift = header.readUInt16LE(0x1e);
  if (sectorShift !== 9 && sectorShift !== 12) return false;
  const rootEntry = (header.readUInt32LE(0x30) + 1) * 2 ** sectorShift;
  if (rootEntry + 0x60 > size) return false;
  const classId = await read(rootEntry + 0x50, rootEntry + 0x5f);
  return INSTALLER_CLASS_IDS.includes(classId.readUInt32LE(0)) && classId.subarray(4).equals(OLE_CLASS_TAIL);
}

/**
 * The program type hidden in a container the first bytes identified (`detected`), or undefined when it
 * holds none. An archive whose directory cannot be read is refused too: what we cannot check we do not pass.
 */
export async function programInside(
  detected: string,
  head: Buffer,
  size: number,
  read: ReadRange,
): Promise<string | undefined> {
  if (detected === 'application/zip') {
    const names = await zipEntryNames(size, read);
    return names ? zipProgramType(names) : 'application/zip (no readable central directory)';
  }
  if (detected === 'application/x-cfb') return (await isInstallerPackage(head, size, read)) ? MSI : undefined;
  return undefined;
}
