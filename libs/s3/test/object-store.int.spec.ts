import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createS3Client, ObjectStore } from '#libs/s3';
import { createTestEnv } from '../../../test/support/test-env.js';
import { cleanupTestEnv } from '../../../test/support/cleanup.js';
import { outlast } from '../../../test/support/wait.js';

const env = createTestEnv();
const store = new ObjectStore(createS3Client(env.s3), env.s3.S3_BUCKET);

describe('S3 object store (real S3Proxy)', () => {
  before(async () => {
    assert.equal(await store.ensureBucket(), 'created');
    assert.equal(await store.ensureBucket(), 'exists');
  });
  after(async () => {
    store.client.destroy();
    await cleanupTestEnv(env);
  });

  test('an object put through the adapter is fetched through a presigned GET URL', async () => {
    await store.put('media/hello.txt', 'hello media', 'text/plain');
    assert.deepEqual(await store.head('media/hello.txt'), { size: 11, contentType: 'text/plain' });
    const res = await fetch(await store.presignGet('media/hello.txt', 60));
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello media');
  });

  test('a presigned PUT uploads without credentials; a tampered URL is refused', async () => {
    const url = await store.presignPut('media/upload.bin', 'application/octet-stream', 60);
    const put = await fetch(url, {
      method: 'PUT',
      body: 'abc',
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 200);
    assert.equal((await store.head('media/upload.bin'))?.size, 3);
    const tampered = (await store.presignGet('media/upload.bin', 60)).replace('upload.bin', 'hello.txt');
    assert.equal((await fetch(tampered)).status, 403);
  });

  test('an expired presigned URL is refused', async () => {
    await store.put('media/short.txt', 'x', 'text/plain');
    const url = await store.presignGet('media/short.txt', 1);
    await outlast(1000, 1100); // the URL's one second, and S3's clock resolution (whole seconds)
    assert.equal((await fetch(url)).status, 403);
  });

  test('a missing object heads as undefined', async () => {
    assert.equal(await store.head('media/none'), undefined);
  });
});
