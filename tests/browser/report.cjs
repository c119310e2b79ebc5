// Browser test: headless Chromium (Debian's) driven by playwright-core.
//   SPINSCOPE_BIN=target/debug/spinscope PLAYWRIGHT_DIR=/var/tmp/spinscope-node node tests/browser/report.cjs
// Opens the served page, pastes an example with XSS payloads, submits, and checks that findings
// are highlighted, the sourcing panel is there, and no payload ran. Then opens a standalone
// `analyze --format html` file the same way. SCREENSHOT=path saves the served report.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require(path.join(process.env.PLAYWRIGHT_DIR, 'node_modules', 'playwright-core'));

const root = path.resolve(__dirname, '..', '..');
const bin = path.resolve(process.env.SPINSCOPE_BIN || path.join(root, 'target/debug/spinscope'));
const XSS = '\n\n<script>window.__xss = 1</script> <img src=x onerror="window.__xss = 2"> ' +
  '<a href="javascript:window.__xss = 3">click</a> <svg onload="window.__xss = 4"></svg>';

function check(ok, message) {
  if (!ok) throw new Error(message);
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['serve', '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/serving on (http:\/\/[^\s]+)/);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code}): ${err}`)));
  });
}

async function checkReport(page, where) {
  const marks = await page.locator('#article mark[class*="t"]').count();
  check(marks > 0, `${where}: no technique highlighted`);
  check(await page.locator('#article mark.attr').count() > 0, `${where}: no attribution underlined`);
  check(await page.locator('#sourcing').isVisible(), `${where}: no sourcing panel`);
  check(await page.locator('#sourcing svg rect').count() > 0, `${where}: no sourcing bar`);
  check(await page.locator('#techniques svg rect').count() > 0, `${where}: no technique chart`);
}

async function main() {
  const { child, url } = await startServer();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const dialogs = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    // Two busy cores (a training run beside CI) once made a fill wait past the default 30 s.
    page.setDefaultTimeout(120000);
    page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    const article = fs.readFileSync(path.join(root, 'examples/en-state-media.txt'), 'utf8');
    await page.goto(url);
    await page.fill('#text', article + XSS);
    await page.fill('#outlet', 'Global Times');
    await Promise.all([page.waitForNavigation(), page.click('#analyse')]);
    await checkReport(page, 'served report');
    check(await page.evaluate(() => window.__xss) === undefined, 'an XSS payload ran');
    check(dialogs.length === 0, `a dialog opened: ${dialogs}`);
    check(await page.locator('#article script, #article img, #article a, #article svg').count() === 0,
      'article markup became elements');
    const text = await page.locator('#article').textContent();
    check(text.includes('<script>window.__xss = 1</script>'), 'the payload is not shown as text');
    if (process.env.SCREENSHOT) await page.screenshot({ path: process.env.SCREENSHOT, fullPage: false });

    // The same report as one offline file.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'spinscope-')), 'report.html');
    const input = path.join(path.dirname(file), 'story.txt');
    fs.writeFileSync(input, article + XSS);
    fs.writeFileSync(file, execFileSync(bin, ['analyze', '--format', 'html', input]));
    const offline = await browser.newPage();
    offline.setDefaultTimeout(120000);
    offline.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss(); });
    const requests = [];
    offline.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
    await offline.goto('file://' + file);
    await checkReport(offline, 'standalone report');
    check(await offline.evaluate(() => window.__xss) === undefined, 'an XSS payload ran offline');
    check(requests.length === 0, `the standalone report fetched ${requests}`);
    check(dialogs.length === 0, `a dialog opened: ${dialogs}`);
  } finally {
    await browser.close();
    child.kill('SIGINT');
  }
  const code = await new Promise((resolve) => child.on('exit', resolve));
  check(code === 0, `server did not shut down cleanly on Ctrl-C (exit ${code})`);
  console.log('browser test: ok');
}

main().catch((e) => { console.error('browser test failed:', e.message); process.exit(1); });
