import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { eventually } from '../support/app-process.js';
import { freshPhone, type ChatStack } from '../support/chat-stack.js';

/** Screenshots of the main screens land here (ignored by git). */
export const SCREENSHOTS = fileURLToPath(new URL('../../../test-output/web/', import.meta.url));

/** Debian's chromium (scripts/test.sh installs it); playwright-core downloads no browser of its own. */
export async function launchChromium(): Promise<Browser> {
  let executablePath = process.env.CHROMIUM_PATH;
  if (!executablePath) {
    try {
      executablePath = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], {
        encoding: 'utf8',
      }).trim();
    } catch {
      throw new Error(
        'chromium is not installed: run scripts/test.sh (it installs it) or apt-get install chromium',
      );
    }
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  // --no-sandbox: the suite runs as root in CI, where Chromium's sandbox refuses to start.
  // The fake media flags give MediaRecorder a microphone (a test tone) without a permission prompt.
  return chromium.launch({
    executablePath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
    ],
  });
}

export const PHONE_VIEWPORT = { width: 390, height: 780 };
export const DESKTOP_VIEWPORT = { width: 1100, height: 720 };

/** A person using the web client in their own browser context (own storage, own network switch). */
export class BrowserUser {
  private constructor(
    readonly phone: string,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {}

  /** Opens the client served by the gateway and signs up with a fresh number and the logged code. */
  static async signUp(
    browser: Browser,
    stack: ChatStack,
    viewport: { width: number; height: number } = PHONE_VIEWPORT,
  ): Promise<BrowserUser> {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const phone = freshPhone();
    // A script error in the page fails nothing by itself: say it where the test output shows it.
    page.on('pageerror', (err) => process.stderr.write(`[browser ${phone}] ${err.message}\n`));
    await page.goto(`${stack.liveGateways[0]!.url}/`);
    await page.getByLabel('Phone number').fill(phone);
    const code = await stack.newCode(phone, () => page.getByRole('button', { name: 'Send code' }).click());
    await page.getByLabel('Code').fill(code);
    await page.getByLabel('Your name (for a new account)').fill(`Web ${phone.slice(-4)}`);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Chats' }).waitFor();
    const user = new BrowserUser(phone, context, page);
    await user.waitOnline();
    return user;
  }

  async waitOnline(): Promise<void> {
    await this.page.getByRole('heading', { name: 'Chats' }).waitFor();
    // The banner shows only while offline or connecting (it renders with the heading).
    await this.page.locator('[data-connection]').waitFor({ state: 'detached', timeout: 20_000 });
  }

  /** A chat in the list (hidden while a chat is open on a phone-sized screen: see showList). */
  chatItem(title: string): Locator {
    return this.page.getByRole('list', { name: 'Chats' }).locator('button.chat-item', { hasText: title });
  }

  /** My or their message whose own text (or file name) holds `text`; a quote of it does not count. */
  bubble(text: string): Locator {
    return this.page
      .locator('li.bubble')
      .filter({ has: this.page.locator('p.text, div.media').filter({ hasText: text }) });
  }

  /** On a phone-sized screen an open chat hides the list: go back to it (a no-op on a wide screen). */
  async showList(): Promise<void> {
    const back = this.page.getByRole('button', { name: 'Back to chats' });
    if (await back.isVisible()) await back.click();
  }

  async openChat(title: string): Promise<void> {
    await this.showList();
    await this.chatItem(title).click();
    await this.page.getByRole('heading', { level: 2, name: title }).waitFor();
  }

  async startChatWith(phone: string): Promise<void> {
    await this.page.getByRole('button', { name: 'New chat' }).click();
    await this.page.locator('#new-chat-phone').fill(phone);
    await this.page.getByRole('button', { name: 'Start chat' }).click();
    await this.page.getByRole('heading', { level: 2, name: phone }).waitFor();
  }

  async write(text: string): Promise<void> {
    await this.page.getByLabel('Message', { exact: true }).fill(text);
    await this.page.getByLabel('Message', { exact: true }).press('Enter');
  }

  /** The tick state of my message (pending, sent, delivered, read), as the page shows it. */
  async tickOf(text: string): Promise<string | null> {
    return this.bubble(text).locator('.ticks').getAttribute('data-status');
  }

  /** Waits for the tick state, or for any of several when the next one may come within milliseconds. */
  async waitForTick(text: string, status: string | readonly string[], timeoutMs = 20_000): Promise<void> {
    const wanted = typeof status === 'string' ? [status] : status;
    await eventually(
      async () => wanted.includes((await this.tickOf(text)) ?? ''),
      timeoutMs,
      `tick "${wanted.join('" or "')}" on "${text}"`,
    );
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
