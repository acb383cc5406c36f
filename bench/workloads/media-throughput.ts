import { fileOf, httpOf, putTo, sha256 } from '../../test/media/media-helpers.js';
import { signUpMany, startLoadStack } from '../support/load-stack.js';
import { progress } from '../support/report.js';
import { round } from '../support/stats.js';

const MB = 1024 * 1024;

export interface MediaThroughputSettings {
  readonly rounds: number;
  readonly sizeBytes: number;
}

const mbps = (bytes: number, ms: number): number => round(bytes / MB / (ms / 1000));

/**
 * An extra workload: a video through the whole media path, per round: an upload slot, the PUT to the
 * presigned URL, completion (the server streams the object through SHA-256), the media message to the
 * recipient, and the recipient's download through a presigned GET. Correct when every downloaded file
 * hashes to what was uploaded.
 */
export async function mediaThroughput(o: MediaThroughputSettings): Promise<{
  rows: Array<Record<string, number | string>>;
  summary: Record<string, number>;
  ok: boolean;
}> {
  const stack = await startLoadStack();
  try {
    const [alice, bob] = await signUpMany(stack, 2);
    await Promise.all([alice!.connect(), bob!.connect()]);
    const { conversationId } = await alice!.chat.openDirect(bob!.userId);
    const http = httpOf(stack);
    const rows: Array<Record<string, number | string>> = [];
    for (let r = 1; r <= o.rounds; r++) {
      progress(`  round ${r}/${o.rounds}: ${round(o.sizeBytes / MB)} MB video up and down...`);
      const body = fileOf('video/mp4', o.sizeBytes);
      const digest = sha256(body);
      const t0 = performance.now();
      const slot = await http.createUpload(alice!.tokens.accessToken, {
        kind: 'video',
        contentType: 'video/mp4',
        size: o.sizeBytes,
        sha256: digest,
      });
      const t1 = performance.now();
      const status = await putTo(slot, body);
      if (status !== 200) throw new Error(`the object store refused the upload (${status})`);
      const t2 = performance.now();
      await http.completeUpload(alice!.tokens.accessToken, slot.mediaId);
      const t3 = performance.now();
      const sent = await alice!.chat.sendMedia(conversationId, {
        mediaId: slot.mediaId,
        durationSeconds: 10,
      });
      await bob!.waitForMessages(conversationId, r, 60_000);
      const t4 = performance.now();
      const { url } = await http.mediaDownloadUrl(
        bob!.tokens.accessToken,
        slot.mediaId,
        conversationId,
        sent.messageId,
      );
      const got = Buffer.from(await (await fetch(url)).arrayBuffer());
      const t5 = performance.now();
      const intact = got.length === o.sizeBytes && sha256(got) === digest;
      rows.push({
        round: r,
        slotMs: Math.round(t1 - t0),
        putMs: Math.round(t2 - t1),
        completeMs: Math.round(t3 - t2),
        uploadMBps: mbps(o.sizeBytes, t3 - t0),
        putOnlyMBps: mbps(o.sizeBytes, t2 - t1),
        deliverMs: Math.round(t4 - t3),
        downloadMs: Math.round(t5 - t4),
        downloadMBps: mbps(o.sizeBytes, t5 - t4),
        sha256: intact ? 'equal' : 'DIFFERS',
      });
    }
    const median = (k: string): number => {
      const v = rows.map((row) => Number(row[k])).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)]!;
    };
    const summary = {
      uploadMBps: median('uploadMBps'),
      putOnlyMBps: median('putOnlyMBps'),
      downloadMBps: median('downloadMBps'),
      completeMs: median('completeMs'),
    };
    return { rows, summary, ok: rows.every((row) => row.sha256 === 'equal') };
  } finally {
    await stack.stop();
  }
}
