import { ChatError, type ChatHttpClient } from '#libs/client-sdk';
import type { MediaKind } from '#libs/protocol';

/** The kind the server files a browser File under, from its type. */
export function kindOf(contentType: string, voice = false): MediaKind {
  if (voice) return 'voice';
  if (contentType.startsWith('image/')) return 'image';
  if (contentType.startsWith('video/')) return 'video';
  if (contentType.startsWith('audio/')) return 'audio';
  return 'document';
}

async function sha256Hex(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** PUTs bytes with XMLHttpRequest, whose upload events (unlike fetch's) report progress. */
function put(
  url: string,
  body: Blob,
  headers: Record<string, string>,
  onProgress: (sent: number) => void,
): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    // content-length is the browser's to set (from the body); every other signed header goes as given.
    for (const [k, v] of Object.entries(headers))
      if (k.toLowerCase() !== 'content-length') xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () =>
      xhr.status >= 200 && xhr.status < 300
        ? resolve(xhr.getResponseHeader('etag'))
        : reject(new ChatError('UNAVAILABLE', `the object store answered ${xhr.status}`));
    xhr.onerror = () => reject(new ChatError('UNAVAILABLE', 'the upload was interrupted'));
    xhr.send(body);
  });
}

/**
 * Uploads a file through the presigned path (docs/protocol.md, Media): ask for a slot (the server
 * refuses a too large or not allowed file here, before any byte moves), PUT the bytes straight to the
 * object store, confirm. Answers the media id a message may then carry.
 */
export async function uploadFile(
  http: ChatHttpClient,
  accessToken: string,
  file: Blob,
  contentType: string,
  kind: MediaKind,
  onProgress: (fraction: number) => void,
): Promise<string> {
  const sha256 = await sha256Hex(file);
  const slot = await http.createUpload(accessToken, { kind, contentType, size: file.size, sha256 });
  onProgress(0);
  if (slot.method === 'PUT') {
    await put(slot.url, file, slot.headers, (sent) => onProgress(sent / Math.max(1, file.size)));
    await http.completeUpload(accessToken, slot.mediaId);
  } else {
    const parts: Array<{ partNumber: number; etag: string }> = [];
    let offset = 0;
    for (const part of slot.parts) {
      const start = offset;
      const etag = await put(
        part.url,
        file.slice(start, start + part.size),
        { 'content-type': contentType },
        (sent) => onProgress((start + sent) / Math.max(1, file.size)),
      );
      offset += part.size;
      parts.push({ partNumber: part.partNumber, etag: etag ?? '' });
    }
    await http.completeUpload(accessToken, slot.mediaId, parts);
  }
  onProgress(1);
  return slot.mediaId;
}

/** What a person reads next to the file when the server refuses it. */
export function uploadErrorText(err: unknown): string {
  if (err instanceof ChatError) {
    const d = err.details ?? {};
    if (err.code === 'MEDIA_TOO_LARGE')
      return `Too large: the limit for ${String(d.kind ?? 'this kind')} is ${formatBytes(Number(d.limit))}`;
    if (err.code === 'MEDIA_TYPE_NOT_ALLOWED') return 'This type of file is not allowed';
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}

export function formatBytes(n: number): string {
  if (!Number.isFinite(n)) return 'the limit';
  if (n >= 1024 * 1024) return `${Math.round((n / (1024 * 1024)) * 10) / 10} MB`;
  if (n >= 1024) return `${Math.round(n / 1024)} KB`;
  return `${n} bytes`;
}
