/**
 * What every button that calls the API does: `setBusy(true)` while `action`
 * runs (the button disables itself meanwhile), and a failure goes to
 * `onError` (usually the screen's error line) rather than escaping.
 */
export async function whileBusy(setBusy: (isBusy: boolean) => void, action: () => Promise<void>, onError: (error: unknown) => void): Promise<void> {
  setBusy(true);
  try {
    await action();
  } catch (error) {
    onError(error);
  } finally {
    setBusy(false);
  }
}
