import type { Page } from 'playwright-core';

/** Luma spread and mean colour of a region of the screen, from a screenshot decoded in the page. */
export async function lookOf(
  page: Page,
  clip: { x: number; y: number; width: number; height: number },
): Promise<{ spread: number; range: number; mean: [number, number, number] }> {
  const png = (await page.screenshot({ clip })).toString('base64');
  return page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    ctx.drawImage(img, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const luma: number[] = [];
    const sum = [0, 0, 0];
    for (let i = 0; i < data.length; i += 4) {
      luma.push(0.299 * data[i]! + 0.587 * data[i + 1]! + 0.114 * data[i + 2]!);
      for (let c = 0; c < 3; c++) sum[c]! += data[i + c]!;
    }
    const n = luma.length;
    const avg = luma.reduce((a, b) => a + b, 0) / n;
    const spread = Math.sqrt(luma.reduce((a, b) => a + (b - avg) ** 2, 0) / n);
    // Max − min: a faint picture through a nearly opaque panel moves it by several levels, a flat fill not at all.
    const range = Math.max(...luma) - Math.min(...luma);
    return { spread, range, mean: sum.map((s) => Math.round(s / n)) as [number, number, number] };
  }, png);
}
