import type { Plugin, Rolldown } from 'vite';

/**
 * Adds a `<link rel="modulepreload">` to the page for every chunk the entry
 * imports dynamically at start-up (and their own imports): the entry loads
 * them in turn, and without the links each would wait for the one before.
 */
export function modulePreloadDynamic(): Plugin {
  return {
    name: 'jobflow-modulepreload-dynamic',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const bundle = ctx.bundle as Rolldown.OutputBundle | undefined;
        if (!bundle) return html;
        const chunks = Object.values(bundle).filter((item): item is Rolldown.OutputChunk => item.type === 'chunk');
        const entry = chunks.find((chunk) => chunk.isEntry);
        if (!entry) return html;
        const wanted = new Set<string>();
        const add = (fileName: string) => {
          if (wanted.has(fileName) || fileName === entry.fileName) return;
          wanted.add(fileName);
          for (const imported of chunks.find((chunk) => chunk.fileName === fileName)?.imports ?? []) add(imported);
        };
        for (const fileName of entry.dynamicImports) add(fileName);
        const present = (fileName: string) => html.includes(`/${fileName}"`);
        return [...wanted]
          .filter((fileName) => !present(fileName))
          .map((fileName) => ({ tag: 'link', attrs: { rel: 'modulepreload', crossorigin: true, href: `/${fileName}` }, injectTo: 'head' as const }));
      },
    },
  };
}
