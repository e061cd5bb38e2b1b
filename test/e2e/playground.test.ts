/*
 * The browser playground in a real browser (needs Debian's `chromium`; driven by puppeteer-core, no browser
 * download). An offline `serve` runs in this process on a free loopback port with the receptionist; headless
 * Chromium opens it with a fake microphone that plays a WAV of the offline caller voice (en-gb) on a loop.
 *
 * The story: the index lists the receptionist and links to its playground. The user mutes the microphone and
 * starts the call: the page connects and the greeting plays (agent audio frames arrive, the agent is
 * `speaking`, the greeting's words are heard as the page echoes its marks). They type "What are your opening
 * hours?": the agent answers. While the answer plays they unmute: the microphone's speech over the agent is a
 * barge-in, the server pauses playout (`clear`), and the page shows it (the activity turns `paused`, the
 * barge-in log gets an entry, the waveform canvas marks it). Offline nobody can tell the recogniser what the
 * fake microphone says, so no words come and the barge-in is decided false (noise): playout resumes. Then they
 * ask to book and type "Wait, stop." over the reply: it is cut, and the page shows the cut point with the
 * unheard rest struck out. They hang up and download the call record, which holds the turns and both
 * barge-ins. Screenshots of the pages go to docs/images/playground-*.png for the README.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeWav } from '../../runtime/audio/wav.js';
import type { CallRecord } from '../../runtime/call/call-record.js';
import type { CallView } from '../../runtime/observe/index.js';
import { silentLogger, startServer, type RunningServer } from '../../runtime/server/index.js';
import { createCallerVoice } from '../../runtime/sim/caller-voice.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
const IMAGES = join(ROOT, 'docs', 'images');

/** What the page exposes as `window.playground` (web/playground/playground.js). */
interface PlaygroundState {
  readonly connection: string;
  readonly view: CallView;
  readonly record?: CallRecord;
  readonly microphone?: string;
  readonly stats: { framesSent: number; framesReceived: number; marksPlayed: number; marksDropped: number; clears: number; serverErrors: number };
  readonly messages: ReadonlyArray<{ text: string }>;
}

const TOKEN = 'playground-e2e-token';

let tmp = '';
let server: RunningServer;
/** The same agents behind VOICEAGENT_TOKEN. */
let guarded: RunningServer;
let browser: Browser;

/** The caller voice saying a line, then half a second of silence: the fake microphone loops it. */
async function writeMicrophoneWav(path: string): Promise<void> {
  const voice = await createCallerVoice();
  const rate = 48_000;
  const line = await voice.synthesize('Hello, can you hear me? I would like to book an appointment for next week, please.', { voice: 'en-gb', language: 'en', sampleRate: rate });
  const pcm = new Int16Array(line.pcm.length + rate / 2);
  pcm.set(line.pcm, 0);
  writeFileSync(path, writeWav({ sampleRate: rate, channels: [pcm] }));
}

/** The page's state, read in the browser. */
function stateOf(page: Page): Promise<PlaygroundState> {
  return page.evaluate(() => JSON.parse(JSON.stringify((globalThis as unknown as { playground: unknown }).playground)) as PlaygroundState);
}

/** Polls the page's state until `check` holds (returns a value), or fails after `timeoutMs` saying what it waited for. */
async function until<T>(page: Page, what: string, check: (state: PlaygroundState) => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: PlaygroundState | undefined;
  while (Date.now() < deadline) {
    last = await stateOf(page);
    const value = check(last);
    if (value !== undefined && value !== false) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const summary = last ? { connection: last.connection, activity: last.view.regions.agentActivity, stats: last.stats, messages: last.messages, lines: agentLines(last).map((l) => [l.status, l.text]) } : undefined;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page state: ${JSON.stringify(summary)}`);
}

/** The text of the first element matching `selector` (no DOM types here: the test's own code runs in Node). */
function textOf(page: Page, selector: string): Promise<string> {
  return page.$eval(selector, (el) => (el as unknown as { textContent: string | null }).textContent ?? '');
}

/** Waits until the first element matching `selector` shows text matching `pattern` (the page redraws on the next animation frame). */
async function untilText(page: Page, selector: string, pattern: RegExp, timeoutMs = 5000): Promise<void> {
  const test = `new RegExp(${JSON.stringify(pattern.source)}).test(document.querySelector(${JSON.stringify(selector)})?.textContent ?? '')`;
  try {
    await page.waitForFunction(test, { timeout: timeoutMs, polling: 50 });
  } catch {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${selector} to match ${pattern}; it shows: ${JSON.stringify(await textOf(page, selector).catch(() => '(no such element)'))}`);
  }
}

type Line = CallView['conversation']['live'][number];
type AgentLine = Extract<Line, { role: 'agent' }>;
function agentLines(state: PlaygroundState): AgentLine[] {
  return [...state.view.conversation.settled, ...state.view.conversation.live].filter((line): line is AgentLine => line.role === 'agent');
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium); .ci/run does`);
  tmp = mkdtempSync(join(tmpdir(), 'voiceagent-playground-'));
  const wav = join(tmp, 'caller.wav');
  await writeMicrophoneWav(wav);
  const serve = (env: Record<string, string>) =>
    startServer({ paths: ['agents'], cwd: ROOT, host: '127.0.0.1', port: 0, dataDir: join(tmp, 'data'), offline: true, recordWav: false, drainTimeoutMs: 2000, env, log: silentLogger });
  [server, guarded] = await Promise.all([serve({}), serve({ VOICEAGENT_TOKEN: TOKEN })]);
  const root = process.getuid?.() === 0;
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      ...(root ? ['--no-sandbox'] : []),
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
  mkdirSync(IMAGES, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await Promise.all([server?.close(), guarded?.close()]);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the playground in headless Chromium', () => {
  it('the index lists the served agents, each linking to its playground', async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 640 });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) external.push(request.url());
    });
    const response = await page.goto(`${server.url}/`);
    expect(response?.status()).toBe(200);
    const links = await page.$$eval('#agents a', (anchors) => anchors.map((a) => ({ href: a.getAttribute('href'), name: a.querySelector('.agent-name')?.textContent })));
    expect(links).toContainEqual({ href: '/play/receptionist', name: 'receptionist' });
    expect(links.length).toBe(server.agents.size);
    await page.screenshot({ path: join(IMAGES, 'playground-index.png'), fullPage: true });
    expect(external).toEqual([]);
    await page.close();
  });

  it('a call: greeting heard, a typed line answered, the microphone barges in and the page shows it, a reply cut, the record downloaded', { timeout: 120_000 }, async () => {
    const page = await browser.newPage();
    await page.setViewport({ width: 1360, height: 900 });
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:') && !request.url().startsWith('blob:')) external.push(request.url());
    });
    // Script errors, and what the browser logs as an error (a Content-Security-Policy refusal, a failed load).
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    const downloads = join(tmp, 'downloads');
    mkdirSync(downloads);
    const cdp = await browser.target().createCDPSession();
    await cdp.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads });

    await page.goto(`${server.url}/play/receptionist`);
    expect(await textOf(page, '.agent-title')).toBe('receptionist');

    // Muted first: the fake microphone talks all the time, and the greeting should play undisturbed.
    await page.click('#mute-button');
    await page.click('#call-button');
    await until(page, 'the call to connect', (s) => s.connection === 'live' && s.view.call.callId);
    await untilText(page, '#mic-status', /Microphone: on.*echo cancellation on/);

    // The greeting plays: agent audio frames come in, the agent is speaking, and the marks the page echoes make its words heard.
    await until(page, 'the agent speaking the greeting', (s) => s.view.regions.agentActivity === 'speaking' && s.stats.framesReceived > 10);
    await page.waitForSelector('#activity[data-activity="speaking"]');
    const greeting = await until(page, 'the greeting heard to its end', (s) => agentLines(s).find((l) => l.purpose === 'greeting' && l.status === 'done'));
    expect(greeting.text).toBe('Thanks for calling Bright Smile Dental, how can I help you today?');
    const afterGreeting = await stateOf(page);
    expect(afterGreeting.stats.framesReceived).toBeGreaterThan(100);
    expect(afterGreeting.stats.marksPlayed).toBeGreaterThan(100);
    expect(afterGreeting.stats.framesSent).toBeGreaterThan(100);

    // A typed line is spoken into the call and answered.
    await page.type('#say-input', 'What are your opening hours?');
    await page.keyboard.press('Enter');
    const turn = await until(page, 'the typed line committed as a turn', (s) => s.view.waterfall.turns[0]);
    expect(turn.userText.toLowerCase()).toContain('opening hours');
    const answer = await until(page, 'the answer playing', (s) => agentLines(s).find((l) => l.turnIndex === 1 && l.status === 'speaking' && l.heardChars > 0));
    expect(answer.text).toContain('open Monday to Friday');
    await page.waitForSelector('#conversation .line.agent[data-status="speaking"]');

    // The user unmutes while the answer plays: the microphone's speech over the agent pauses it.
    await page.click('#mute-button');
    const bargeIn = await until(page, 'a barge-in from the microphone', (s) => s.view.bargeIns[0]);
    expect(bargeIn.onsetMs).toBeGreaterThan(answer.atMs);
    await until(page, 'the clear from the server', (s) => s.stats.clears >= 1);
    await page.waitForSelector('#barge-ins li[data-kind]');
    await page.waitForFunction("Number(document.getElementById('waves').dataset.bargeIns) >= 1", { timeout: 5000 });
    const activities = await until(page, 'the agent paused', (s) => (s.view.regions.agentActivity === 'paused' || s.view.bargeIns[0]?.reaction === 'paused' ? s : undefined));
    expect(activities.view.bargeIns[0]!.reaction).toBe('paused');
    await page.screenshot({ path: join(IMAGES, 'playground-barge-in.png') });

    // Silence again: offline no words come, so the barge-in was noise and the answer resumes.
    await page.click('#mute-button');
    const decided = await until(page, 'the barge-in decided', (s) => (s.view.bargeIns[0]?.kind !== 'pending' ? s.view.bargeIns[0] : undefined));
    expect(decided.kind).toBe('false');
    await untilText(page, '#barge-ins li', /resumed: noise/);

    // The latency waterfall has the turn with its total.
    await until(page, 'the turn reported with its spans', (s) => s.view.waterfall.turns[0]?.spans.responseMs !== undefined);
    await untilText(page, '#waterfall .turn[data-index="1"] .total', /^(\d+ ms|\d\.\d+ s)$/);

    // A typed interruption: the caller asks to book, and says "wait, stop" over the reply. The reply is cut where
    // the caller's playback had got to; the page strikes out the rest they never heard.
    await until(page, 'the answer to finish', (s) => agentLines(s).find((l) => l.turnIndex === 1 && l.status !== 'speaking'), 20_000);
    await page.type('#say-input', 'I would like to book an appointment.');
    await page.keyboard.press('Enter');
    await until(page, 'the booking reply playing', (s) => agentLines(s).find((l) => l.turnIndex === 2 && l.status === 'speaking' && l.heardChars > 0), 20_000);
    await page.type('#say-input', 'Wait, stop.');
    await page.keyboard.press('Enter');
    const cut = await until(page, 'the booking reply cut by the caller', (s) => agentLines(s).find((l) => l.turnIndex === 2 && l.cut)?.cut, 15_000);
    expect(cut.by).toBe('caller');
    expect(cut.unheardText.length).toBeGreaterThan(0);
    await page.waitForSelector('#conversation .line.agent[data-status="cut"] .cut-mark');
    await untilText(page, '#conversation .line.agent[data-status="cut"] s.unheard', new RegExp(cut.unheardText.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await until(page, 'the interrupting turn answered', (s) => agentLines(s).find((l) => l.turnIndex === 3 && l.status === 'done'), 20_000);
    await untilText(page, '#barge-ins li', /interrupted/);
    await page.screenshot({ path: join(IMAGES, 'playground-call.png') });

    // Hang up; the record is downloadable and holds the call.
    await page.click('#call-button');
    const ended = await until(page, 'the call ended with its record', (s) => s.connection === 'ended' && s.record);
    expect(ended.endReason).toBe('caller-hangup');
    await page.waitForSelector('#download-button:not([disabled])');
    await page.click('#download-button');
    const file = `call-${ended.callId}.json`;
    const deadline = Date.now() + 10_000;
    while (!existsSync(join(downloads, file)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(readdirSync(downloads)).toContain(file);
    const downloaded = JSON.parse(readFileSync(join(downloads, file), 'utf8')) as CallRecord;
    expect(downloaded.callId).toBe(ended.callId);
    expect(downloaded.turns[0]?.userText.toLowerCase()).toContain('opening hours');
    expect(downloaded.bargeIns?.map((b) => b.kind)).toEqual(expect.arrayContaining(['false', 'interrupt']));
    expect(downloaded.turns[1]?.outcome).toBe('interrupted');

    expect(pageErrors).toEqual([]);
    expect(external).toEqual([]);
    await page.close();
  });

  it('behind VOICEAGENT_TOKEN: the page opened with ?token= hands it to the WebSocket and the call connects', async () => {
    const page = await browser.newPage();
    const refused = await page.goto(`${guarded.url}/play/receptionist`);
    expect(refused?.status()).toBe(401);
    await page.goto(`${guarded.url}/play/receptionist?token=${TOKEN}`);
    await page.click('#mute-button');
    await page.click('#call-button');
    const callId = await until(page, 'the call to connect with the token', (s) => s.connection === 'live' && s.view.call.callId);
    await until(page, 'the greeting to start', (s) => s.stats.framesReceived > 0);
    await page.click('#call-button');
    const record = await until(page, 'the call ended', (s) => s.connection === 'ended' && s.record);
    expect(record.callId).toBe(callId);
    await page.close();
  });
});
