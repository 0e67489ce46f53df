/**
 * Japanese for the texts job types send with their schemas (titles, field
 * labels, hints), keyed by the English text the server sends. A text not
 * here (a job type added later) shows in English.
 */
export const schemaTextJa: Record<string, string> = {
  'Shell script': 'シェルスクリプト',
  'Runs a script with /bin/sh -c (or the given shell). Every stdout and stderr line becomes a log line; exit code 0 succeeds.':
    '/bin/sh -c (または指定したシェル)でスクリプトを実行します。標準出力と標準エラーの各行がログの行になり、終了コード 0 で成功です。',
  Script: 'スクリプト',
  Shell: 'シェル',
  'Interpreter called as `<shell> -c <script>`.': '`<シェル> -c <スクリプト>` として呼び出すインタープリター。',
  'Working directory': '作業ディレクトリ',
  'Environment variables': '環境変数',
  'Values are secrets: stored encrypted, shown masked, and masked wherever the script prints them.':
    '値は秘密です: 暗号化して保存され、伏せて表示され、スクリプトが出力した箇所でも伏せられます。',
  Sleep: 'スリープ',
  'Waits the given number of seconds, logging a line and reporting progress each second.':
    '指定した秒数だけ待ちます。1 秒ごとにログを 1 行書き、進捗を報告します。',
  Seconds: '秒数',
  'Fail at the end': '最後に失敗させる',
  'HTTP request': 'HTTP リクエスト',
  'Sends one HTTP(S) request and succeeds when the response status is expected (any 2xx unless listed). Logs the request line, the status and the time taken; the result holds the status, the response headers and the start of the body. It can keep the whole body as an artifact of the run.':
    'HTTP(S) リクエストを 1 回送り、応答のステータスが期待どおり(指定がなければ 2xx)なら成功です。リクエスト行、ステータス、所要時間をログに書き、結果にはステータス、応答ヘッダー、本文の先頭が入ります。本文全体を実行の成果物として残すこともできます。',
  URL: 'URL',
  'An http:// or https:// URL. A user name and password in it (https://user:password@host/) are sent as Basic authorization, only to that origin, and kept secret.':
    'http:// または https:// の URL。URL 内のユーザー名とパスワード(https://user:password@host/)は Basic 認証としてそのオリジンにだけ送られ、秘密として保管されます。',
  Method: 'メソッド',
  'Request headers': 'リクエストヘッダー',
  'Header values are secrets: stored encrypted, shown masked, and masked in the log.':
    'ヘッダーの値は秘密です: 暗号化して保存され、伏せて表示され、ログでも伏せられます。',
  'Request body': 'リクエスト本文',
  'Sent as is; not allowed with GET or HEAD. Set a Content-Type header to match.':
    'そのまま送られます。GET と HEAD では使えません。合わせて Content-Type ヘッダーを設定してください。',
  'Expected status codes': '期待するステータスコード',
  'The run succeeds when the final status is one of these. Absent: any 2xx status.':
    '最終的なステータスがこのいずれかなら成功です。未指定なら 2xx のいずれか。',
  'Follow redirects': 'リダイレクトをたどる',
  'Follows up to 10 redirects; more fail the run. Off: a 3xx response is the final status.':
    'リダイレクトを 10 回までたどり、それを超えると失敗します。オフの場合は 3xx 応答が最終ステータスです。',
  'Response size cap (bytes)': '応答サイズの上限(バイト)',
  'A response body larger than this (after decompression) fails the run; reading stops at the cap.':
    '(展開後の)応答本文がこれより大きいと失敗します。読み込みは上限で止まります。',
  'Keep the body as': '本文を残すファイル名',
  'A file name, e.g. response.json: the whole response body is attached to the run as an artifact of this name (a retry’s as response.attempt-2.json), with the response’s Content-Type, whatever the status. A body over the response size cap or ARTIFACT_MAX_BYTES keeps nothing and fails the run. Empty: not kept.':
    'ファイル名(例: response.json)。ステータスにかかわらず、応答本文全体をこの名前(再試行では response.attempt-2.json のような名前)の成果物として、応答の Content-Type のまま実行に添付します。応答サイズの上限か ARTIFACT_MAX_BYTES を超える本文は何も残さず、実行を失敗させます。空なら残しません。',
  'Timeout (ms)': 'タイムアウト(ミリ秒)',
  'Time allowed for the whole exchange, redirects and body included; on expiry the attempt fails and may be retried.':
    'リダイレクトと本文を含むやり取り全体に許す時間。超えるとその試行は失敗し、再試行されることがあります。',
  'Data check': 'データチェック',
  'Reads a CSV or JSON document from a URL (or inline) as a stream and checks every row against the rules: required columns, column types, non-empty values, unique keys, numeric ranges and patterns. Each violation is logged as a line; the run fails when there are more violations than allowed.':
    'URL(またはインライン)の CSV や JSON の文書をストリームとして読み、すべての行をルールで検査します: 必須列、列の型、空でない値、一意キー、数値の範囲、パターン。違反は 1 行ずつログに書かれ、許容数を超えると実行は失敗します。',
  'Document URL': '文書の URL',
  'An http:// or https:// URL to read the document from (a user name and password in it are sent as Basic authorization and kept secret). Give either this or the inline content.':
    '文書を読む http:// または https:// の URL(URL 内のユーザー名とパスワードは Basic 認証として送られ、秘密として保管されます)。これかインラインの文書のどちらかを指定します。',
  'Sent with the request for the URL, e.g. Authorization. Values are secrets: stored encrypted, shown masked.':
    'URL へのリクエストと一緒に送られます(例: Authorization)。値は秘密として暗号化して保存され、伏せて表示されます。',
  'Inline document': 'インラインの文書',
  'The document itself, instead of a URL.': 'URL の代わりに文書そのもの。',
  Format: '形式',
  'csv: RFC 4180 with a header row. json: JSON Lines (one value per line, or any whitespace-separated values) or one top-level array of rows. auto: from the Content-Type, then the URL extension, then the first character ([ or { means JSON).':
    'csv: ヘッダー行つきの RFC 4180。json: JSON Lines(1 行に 1 値、または空白区切りの値)か、行の配列 1 つ。auto: Content-Type、URL の拡張子、先頭の文字([ か { なら JSON)の順に判定。',
  'CSV delimiter': 'CSV の区切り文字',
  'Required columns': '必須の列',
  'Columns the CSV header (or every JSON row) must have.': 'CSV のヘッダー(または JSON の各行)に必要な列。',
  'Column rules': '列のルール',
  'Rules per column name. A blank value (missing, null or only whitespace) is only checked by nonEmpty.':
    '列名ごとのルール。空の値(欠落、null、空白のみ)は「空欄不可」だけが検査します。',
  Rule: 'ルール',
  Type: '型',
  'date: YYYY-MM-DD or an RFC 3339 date-time. boolean: true or false. In JSON rows the value must have the JSON type.':
    'date: YYYY-MM-DD または RFC 3339 の日時。boolean: true か false。JSON の行では値がその JSON の型である必要があります。',
  'Must not be blank': '空欄不可',
  'Absent: false.': '未指定: false。',
  'Minimum (inclusive)': '最小値(含む)',
  'Maximum (inclusive)': '最大値(含む)',
  Pattern: 'パターン',
  'A JavaScript regular expression (u flag) the value must contain a match of; anchor it with ^...$ to match the whole value.':
    '値が一致を含む必要がある JavaScript の正規表現(u フラグ)。値全体に一致させるには ^...$ で囲みます。',
  'Unique keys': '一意キー',
  'Each entry lists the columns of one key whose values must not repeat. Rows with a blank key column are not compared.':
    '各項目は値が重複してはならないキー 1 つの列を並べます。キーの列が空の行は比較しません。',
  'Violations allowed': '許容する違反数',
  'The run fails when there are more violations than this.': '違反がこれより多いと実行は失敗します。',
  'Violations logged': 'ログに書く違反数',
  'Violations past this many are counted but not logged.': 'これを超えた違反は数えますがログには書きません。',
};
