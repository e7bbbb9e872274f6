// Backfill a range of days from the Dagster UI in Debian's chromium, as a user would:
// the labs asset group -> "Materialize all" -> type the range -> "Launch backfill", then follow
// the backfill to its run and wait until the run page says Success; screenshot that page.
// While the run works the page is left blank and the run's status is asked from the UI's own
// GraphQL endpoint: a live run page re-renders its gantt chart all the time, which cost a
// 2-core test machine a good part of a core for the whole run.
//
// usage: node backfill.mjs <webserver url> <first day> <last day> <screenshot.png>
// prints one JSON line: {"backfillId": ..., "runId": ..., "status": <what the run page says>}
import { chromium } from "playwright-core";

const [baseUrl, firstDay, lastDay, screenshot] = process.argv.slice(2);
// The test gives this script 12 minutes in all (the run takes about one and a half).
const RUN_TIMEOUT_MS = 8 * 60 * 1000;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // No sandbox as root (CI); no background networking: the machine has no network but loopback.
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});

const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
let runId = null;
try {
  page.setDefaultTimeout(Number(process.env.PW_TIMEOUT || 120_000));

  // The newsletter dialog a new instance shows its first visitor was dismissed before (the test
  // sends setNuxSeen): it opens a second after load, on top of whatever is being clicked.
  await page.goto(`${baseUrl}/locations/adventureworks_orchestration/asset-groups/labs`);
  await page.locator("button", { hasText: "Materialize all" }).click();

  // The dialog starts with the last 90 days; older days (ours) are one click away.
  const dialog = page.getByRole("dialog");
  await dialog.getByText("Show all partitions").click();
  const range = dialog.locator("input:not([type=checkbox]):not([type=radio])").first();
  await range.fill(`[${firstDay}...${lastDay}]`);
  await range.press("Enter");
  const days = (Date.parse(lastDay) - Date.parse(firstDay)) / 86_400_000 + 1;
  await dialog.getByText(`${days} partitions`, { exact: true }).waitFor();
  const launch = dialog.getByRole("button", { name: "Launch backfill", exact: true });
  await launch.click();

  // The success toast links to the new backfill; its page lists the run once the daemon made it.
  const toastLink = page.locator('a[href*="/runs/b/"]').first();
  await toastLink.waitFor();
  const backfillId = (await toastLink.getAttribute("href")).match(/\/runs\/b\/([^/?#]+)/)[1];
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  while (!runId) {
    if (Date.now() > deadline) throw new Error(`backfill ${backfillId}: no run appeared`);
    await page.waitForTimeout(5_000);
    await page.goto(`${baseUrl}/runs/b/${backfillId}?tab=runs`);
    await page.waitForLoadState("networkidle");
    const hrefs = await page.locator("a[href]").evaluateAll((links) => links.map((a) => a.href));
    const run = hrefs.map((href) => href.match(/\/runs\/([0-9a-f]{8}-[0-9a-f-]{27})/)).find(Boolean);
    runId = run ? run[1] : null;
  }

  await page.goto("about:blank");
  await waitUntilFinished(runId, deadline);
  await page.goto(`${baseUrl}/runs/${runId}`);
  const status = page.getByText(/^(Success|Failure|Canceled)$/).first();
  await status.waitFor();
  await page.waitForTimeout(1_000); // let the gantt chart settle for the picture
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ backfillId, runId, status: (await status.textContent()).trim() }));
} catch (error) {
  // What the page showed when it went wrong, beside where the success picture would be (the
  // run's page, once there is a run: while waiting for it the page is blank).
  try {
    if (runId && page.url() === "about:blank") {
      await page.goto(`${baseUrl}/runs/${runId}`, { timeout: 15_000 });
    }
    await page.screenshot({ path: screenshot.replace(/\.png$/, "-failed.png"), fullPage: true });
  } catch (pictureError) {
    console.error(`no failure picture: ${pictureError}`);
  }
  throw error;
} finally {
  await browser.close();
}

async function waitUntilFinished(runId, deadline) {
  const query = `{ runOrError(runId: "${runId}") { __typename ... on Run { status } } }`;
  for (;;) {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ query }),
    });
    const text = await response.text();
    let answer = null;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: reported below with what came back
    }
    const found = answer?.data?.runOrError;
    if (!response.ok || answer?.errors || found?.__typename !== "Run") {
      throw new Error(`run ${runId}: the webserver answered ${response.status}: ${text.slice(0, 2000)}`);
    }
    const status = found.status;
    if (["SUCCESS", "FAILURE", "CANCELED"].includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`run ${runId}: still ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}
