import type { Page } from 'playwright-core';

/**
 * Collects every Content-Security-Policy violation the page reports, in its document
 * (`securitypolicyviolation`, across navigations) and in its console (Chromium also logs what it
 * refused, e.g. an eval tried before the document listens).
 */
export async function collectCspViolations(page: Page, who: string, into: string[]): Promise<void> {
  await page.exposeFunction('__reportCspViolation', (text: string) => into.push(`${who}: ${text}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      const report = (window as unknown as { __reportCspViolation(text: string): void })
        .__reportCspViolation;
      report(
        `${event.effectiveDirective} refused ${event.blockedURI || 'inline'} (${event.sourceFile}:${event.lineNumber})`,
      );
    });
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) into.push(`${who}: ${message.text()}`);
  });
}
