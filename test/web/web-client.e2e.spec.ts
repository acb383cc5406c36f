import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { eventually } from '../support/app-process.js';
import { pace, quietPeriod } from '../support/wait.js';
import { ChatHttpClient } from '#libs/client-sdk';
import { ChatStack } from '../support/chat-stack.js';
import { signUp } from '../support/chat-users.js';
import { BrowserUser, DESKTOP_VIEWPORT, launchChromium } from './browser-user.js';

/** Images above this are refused (a small limit, so the too-large case needs no 16 MB file). */
const IMAGE_LIMIT = 256 * 1024;
/**
 * What these steps prove is that something does not happen in the page (a tick that must not turn, a
 * bubble that must not leave or come twice), with nothing later to wait for: a quiet period after the
 * step before it was seen to land. Long enough for a frame to cross the stack and render.
 */
const NOTHING_MORE_MS = 800;
const RECORDING_MS = 1500;

// The web client (apps/web) in a real Chromium against a whole isolated stack: the page is the one the
// gateway serves, its SDK speaks the real protocol, uploads go to the real object store.
describe('web client in a browser', () => {
  let stack: ChatStack;
  let browser: Browser;
  let alice: BrowserUser;
  let bob: BrowserUser;
  const t0 = Date.now();

  before(async () => {
    [stack, browser] = await Promise.all([
      ChatStack.start({ overrides: { MEDIA_MAX_IMAGE_BYTES: String(IMAGE_LIMIT) } }),
      launchChromium(),
    ]);
    alice = await BrowserUser.signUp(browser, stack, DESKTOP_VIEWPORT);
    bob = await BrowserUser.signUp(browser, stack);
  });

  after(async () => {
    await browser?.close();
    await stack?.stop();
    process.stderr.write(`web client browser tests took ${Math.round((Date.now() - t0) / 1000)} s\n`);
  });

  it('the gateway serves the client from /, beside the API', async () => {
    const res = await fetch(`${stack.liveGateways[0]!.url}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await res.text(), /<div id="app">/);
    const api = await fetch(`${stack.liveGateways[0]!.url}/v1/no-such-route`);
    assert.equal(api.status, 404, 'the API still answers its own paths');
  });

  it('two people chat: ticks go from one to two to blue, typing shows in the header and the list', async () => {
    await alice.startChatWith(bob.phone);
    const subtitle = alice.page.getByTestId('chat-subtitle');
    await eventually(async () => (await subtitle.textContent()) === 'online', 20_000, 'Bob shown online');
    // Bob's browser goes offline: his last seen shows, and a message is stored (one tick) but not delivered.
    await bob.context.setOffline(true);
    await bob.page.locator('[data-connection="offline"]').waitFor();
    await eventually(
      async () => /^last seen today at /.test((await subtitle.textContent()) ?? ''),
      30_000,
      'Bob shown with his last seen',
    );
    await alice.write('Hello Bob');
    await alice.waitForTick('Hello Bob', 'sent');
    await quietPeriod(NOTHING_MORE_MS);
    assert.equal(await alice.tickOf('Hello Bob'), 'sent', 'one tick while Bob is offline');

    await bob.context.setOffline(false);
    await bob.waitOnline();
    // Delivered to Bob's device (two grey ticks), not read: Bob has not opened the chat.
    await alice.waitForTick('Hello Bob', 'delivered');
    const item = bob.chatItem('Hello Bob');
    await item.waitFor();
    assert.match((await item.getAttribute('aria-label')) ?? '', /1 unread/);
    await bob.screenshot('chat-list-phone');

    await item.click();
    await bob.bubble('Hello Bob').waitFor();
    await alice.waitForTick('Hello Bob', 'read');
    assert.equal(
      await alice.bubble('Hello Bob').locator('.ticks').getAttribute('aria-label'),
      'Read',
      'blue ticks say "Read"',
    );

    // Bob types: Alice, who has the chat open, sees it under the title and in her list.
    await bob.page.getByLabel('Message', { exact: true }).pressSequentially('Hi Al', { delay: 30 });
    await eventually(
      async () => (await alice.page.getByTestId('chat-subtitle').textContent()) === 'typing…',
      10_000,
      'typing shown to Alice',
    );
    assert.equal(await alice.chatItem(bob.phone).locator('.chat-preview').textContent(), 'typing…');
    await bob.page.getByLabel('Message', { exact: true }).fill('Hi Alice, replying to you');
    // A reply quotes the message it answers.
    await bob
      .bubble('Hello Bob')
      .getByRole('button', { name: /Reply to/ })
      .click();
    // Choosing Reply moves the focus to the message box: the keyboard alone finishes the answer.
    // (The focus moves on the render after the click: wait for it rather than read it at once.)
    await bob.page.waitForFunction("document.activeElement?.id === 'message-input'", undefined, {
      timeout: 5000,
    });
    await bob.page.keyboard.press('Enter');
    const reply = alice.bubble('Hi Alice, replying to you');
    await reply.waitFor();
    assert.equal(await reply.locator('blockquote.quote').textContent(), 'YouHello Bob');
    // The day separator above the first message.
    assert.equal(await alice.page.locator('li.day').first().textContent(), 'Today');
    await alice.screenshot('chat-desktop');
    // Every control of the composer has a name a screen reader says.
    const composer = await alice.page.locator('form.composer').ariaSnapshot();
    for (const control of ['button "Emoji"', 'textbox "Message"', 'button "Record a voice note"'])
      assert.ok(composer.includes(control), `${control} in ${composer}`);
    assert.match(composer, /Attach a file/);
  });

  it('a message written while the browser is offline shows a clock and arrives once when it is back', async () => {
    await alice.context.setOffline(true);
    await alice.page.locator('[data-connection="offline"]').waitFor();
    await alice.write('Written on the train');
    assert.equal(await alice.tickOf('Written on the train'), 'pending', 'a clock while offline');
    await alice.screenshot('offline-outbox');
    await quietPeriod(NOTHING_MORE_MS);
    assert.equal(await bob.bubble('Written on the train').count(), 0, 'nothing leaves while offline');
    assert.equal(await alice.tickOf('Written on the train'), 'pending', 'still a clock, not a failure');

    await alice.context.setOffline(false);
    await bob.bubble('Written on the train').waitFor({ timeout: 20_000 });
    await alice.waitForTick('Written on the train', 'read'); // Bob has the chat open
    // Reload both: the server's history must hold the message exactly once, too.
    await quietPeriod(NOTHING_MORE_MS);
    assert.equal(await bob.bubble('Written on the train').count(), 1);
    await bob.page.reload();
    await bob.waitOnline();
    await bob.showList();
    await bob.chatItem('Written on the train').click();
    await bob.bubble('Hello Bob').waitFor();
    assert.equal(await bob.bubble('Written on the train').count(), 1, 'sent once, after reconnecting');
  });

  it('a group of three: mentions, "read by all", members and admins', async () => {
    const carol = await BrowserUser.signUp(browser, stack);
    try {
      const page = alice.page;
      await page.getByRole('button', { name: 'New group' }).click();
      await page.getByLabel('Group subject').fill('Weekend trip');
      await page.getByLabel(/Members/).fill(`${bob.phone}, ${carol.phone}`);
      await page.getByRole('button', { name: 'Create group' }).click();
      await page.getByRole('heading', { level: 2, name: 'Weekend trip' }).waitFor();
      await alice.write(`@${carol.phone} bring the tent`);
      // Both members are online: "delivered to all" may follow SENT within milliseconds.
      await alice.waitForTick('bring the tent', ['sent', 'delivered']);
      assert.equal(
        await alice.bubble('bring the tent').locator('strong.mention').textContent(),
        `@${carol.phone}`,
      );

      for (const u of [bob, carol]) {
        await u.showList();
        await u.chatItem('Weekend trip').waitFor({ timeout: 20_000 });
      }
      // The list shows the group from its first (system) message; the mention comes with the next one.
      await carol.chatItem('Weekend trip').locator('.mention-badge').waitFor({ timeout: 20_000 });
      // Two of two must read before the ticks turn blue.
      await bob.openChat('Weekend trip');
      await bob.bubble('bring the tent').waitFor();
      await alice.waitForTick('bring the tent', 'delivered');
      await quietPeriod(NOTHING_MORE_MS);
      assert.equal(await alice.tickOf('bring the tent'), 'delivered', 'not blue until Carol reads too');
      await carol.openChat('Weekend trip');
      await carol.bubble('bring the tent').waitFor();
      await alice.waitForTick('bring the tent', 'read');
      assert.equal(
        await alice.bubble('bring the tent').locator('.ticks').getAttribute('aria-label'),
        'Read by all',
      );

      // Group info: three members; Alice makes Bob an admin and removes Carol.
      await page.getByRole('button', { name: 'Group info' }).click();
      const members = page.getByRole('list', { name: 'Members' }).locator('li');
      await eventually(async () => (await members.count()) === 3, 10_000, 'three members listed');
      await page.getByRole('button', { name: 'Make admin' }).first().click();
      await eventually(
        async () => (await page.locator('.members .badge').count()) === 2,
        10_000,
        'two admins',
      );
      await page.getByRole('button', { name: `Remove ${carol.phone}` }).click();
      await eventually(async () => (await members.count()) === 2, 10_000, 'Carol removed');
      await alice.screenshot('group-info');
      await page.getByRole('button', { name: 'Close group info' }).click();
      await carol.page.locator('li.system', { hasText: 'removed' }).waitFor({ timeout: 20_000 });
    } finally {
      await carol.close();
    }
  });

  it('scrolling up loads older messages page by page (history.get)', async () => {
    // Someone writes 45 messages through the SDK: more than the client's first page of 30.
    const dave = await signUp(stack);
    const chat = await dave.connect();
    const [aliceUser] = await new ChatHttpClient({ baseUrl: stack.liveGateways[0]!.url }).lookup(
      dave.tokens.accessToken,
      [alice.phone],
    );
    const { conversationId } = await chat.openDirect(aliceUser!.userId);
    for (let i = 1; i <= 45; i++) await chat.send(conversationId, `Older #${String(i).padStart(2, '0')}`);
    await alice.chatItem('Older #45').waitFor({ timeout: 20_000 });
    // Delivered first, stored after: wait until the timeline holds them all before paging through it.
    await eventually(
      async () => (await chat.history(conversationId, { limit: 100 })).messages.length === 45,
      20_000,
      '45 messages in the stored timeline',
    );
    // Alice was online and has them all: a reload starts her page from the server's history instead.
    await alice.page.reload();
    await alice.waitOnline();
    await alice.chatItem('Older #45').click();
    await alice.bubble('Older #45').waitFor();
    const bubbles = alice.page.locator('li.bubble');
    assert.equal(await bubbles.count(), 30, 'the first page');
    assert.equal(await alice.bubble('Older #01').count(), 0);
    await alice.page.getByRole('list', { name: 'Messages' }).evaluate((el) => (el.scrollTop = 0));
    await alice.bubble('Older #01').waitFor({ timeout: 20_000 });
    assert.equal(await bubbles.count(), 45, 'every message once, in order');
    const texts = await alice.page.locator('li.bubble p.text').allTextContents();
    assert.deepEqual(
      texts,
      Array.from({ length: 45 }, (_, i) => `Older #${String(i + 1).padStart(2, '0')}`),
    );
    await dave.disconnect();
  });

  it('links a second browser to the account, which lists its chats, and signs it out', async () => {
    await alice.page.getByRole('button', { name: 'Link a device' }).click();
    const shown = alice.page.getByRole('status', { name: 'Link code' });
    await eventually(async () => /^\w{4,}$/.test((await shown.textContent()) ?? ''), 10_000, 'a link code');
    const code = (await shown.textContent())!;
    await alice.page.getByRole('button', { name: 'Done' }).click();

    const context = await browser.newContext({ viewport: DESKTOP_VIEWPORT });
    try {
      const page = await context.newPage();
      await page.goto(`${stack.liveGateways[0]!.url}/`);
      await page.getByRole('tab', { name: 'Link to an account' }).click();
      await page.getByLabel('Link code').fill(code);
      await page.getByRole('button', { name: 'Link this browser' }).click();
      await page.getByRole('heading', { name: 'Chats' }).waitFor();
      await page.locator('button.chat-item', { hasText: 'Weekend trip' }).waitFor({ timeout: 20_000 });
      assert.equal(
        await page.getByRole('button', { name: 'Link a device' }).count(),
        0,
        'only the phone links',
      );
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByRole('button', { name: 'Send code' }).waitFor();
      assert.equal(await page.evaluate('localStorage.getItem("chat.session")'), null);
    } finally {
      await context.close();
    }
  });

  it('an attachment goes up through the presigned URL with a progress bar, and arrives', async () => {
    await alice.openChat(bob.phone);
    // Slow the upload down so its progress is visible (Chromium's network emulation).
    const cdp = await alice.context.newCDPSession(alice.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: 300 * 1024,
    });
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n', 'latin1'), randomBytes(900 * 1024)]);
    await alice.page
      .getByLabel('Attach a file')
      .setInputFiles({ name: 'itinerary.pdf', mimeType: 'application/pdf', buffer: pdf });
    const bar = alice.page.getByRole('progressbar', { name: 'Uploading itinerary.pdf' });
    await bar.waitFor();
    await eventually(
      async () => {
        const v = Number(await bar.getAttribute('aria-valuenow'));
        return v > 0 && v < 100;
      },
      20_000,
      'upload progress between 0 and 100',
    );
    await alice.screenshot('upload-progress');
    await bar.waitFor({ state: 'detached', timeout: 30_000 });
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: 0,
      downloadThroughput: -1,
      uploadThroughput: -1,
    });
    await bob.showList();
    await bob.chatItem('itinerary.pdf').click({ timeout: 20_000 });
    await bob.bubble('itinerary.pdf').waitFor();
    await alice.waitForTick('itinerary.pdf', 'read');
    await alice.screenshot('chat-with-attachment');
  });

  it('a voice note recorded with MediaRecorder: the other side sees "recording audio…", then can play it', async () => {
    await alice.page.getByRole('button', { name: 'Record a voice note' }).click();
    await eventually(
      async () => (await bob.page.getByTestId('chat-subtitle').textContent()) === 'recording audio…',
      10_000,
      'Bob sees Alice recording',
    );
    await pace(RECORDING_MS); // how long the voice note is
    await alice.page.getByRole('button', { name: 'Stop recording and send' }).click();
    await bob.bubble('voice-note').waitFor({ timeout: 20_000 });
    // Played inline from a short-lived download URL.
    await bob.bubble('voice-note').getByLabel('Voice note').waitFor({ timeout: 10_000 });
    await alice.waitForTick('voice-note', 'read');
  });

  it("a file above the limit gets the server's error next to it, and nothing is sent", async () => {
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(IMAGE_LIMIT + 1024),
    ]);
    await alice.page
      .getByLabel('Attach a file')
      .setInputFiles({ name: 'panorama.png', mimeType: 'image/png', buffer: png });
    const upload = alice.page.locator('li.upload', { hasText: 'panorama.png' });
    const error = upload.getByRole('alert');
    await error.waitFor();
    assert.equal(await error.textContent(), 'Too large: the limit for image is 256 KB');
    await alice.screenshot('upload-too-large');
    assert.equal(await alice.bubble('panorama.png').count(), 0);
  });
});
