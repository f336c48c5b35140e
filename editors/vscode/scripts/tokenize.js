// Prints the TextMate scopes the grammar gives the first 40 lines of a file,
// the way VS Code tokenizes it: `npm run tokenize -- ../../examples/office.rw`.
const fs = require('fs');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');
const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm')).buffer;
oniguruma.loadWASM(wasm).then(() => {
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (p) => new oniguruma.OnigScanner(p), createOnigString: (s) => new oniguruma.OnigString(s) }),
    loadGrammar: async () => vsctm.parseRawGrammar(fs.readFileSync(require('path').join(__dirname, '../syntaxes/rw.tmLanguage.json')).toString(), 'rw.tmLanguage.json'),
  });
  registry.loadGrammar('source.rw').then((g) => {
    const text = fs.readFileSync(process.argv[2]).toString().split('\n');
    let state = vsctm.INITIAL;
    for (const line of text.slice(0, 40)) {
      const r = g.tokenizeLine(line, state);
      const parts = r.tokens.map(t => `${line.substring(t.startIndex, t.endIndex)}<${t.scopes[t.scopes.length-1].replace('.rw','')}>`).filter(x => !x.startsWith(' <source'));
      if (line.trim()) console.log(parts.join(' '));
      state = r.ruleStack;
    }
  });
});
