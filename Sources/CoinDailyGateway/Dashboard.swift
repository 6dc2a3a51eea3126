/// The live dashboard served at `/`: a single page that connects to `/ws` with a pasted token,
/// subscribes to the channels the token allows and shows the latest events.
enum Dashboard {
    static let html = #"""
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CoinDaily Realtime</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;background:#0e1116;color:#d8dee9}
input,button{font:inherit;padding:.3em .6em}input{width:60%}
table{border-collapse:collapse;margin-top:1em;width:100%}td,th{border-bottom:1px solid #333;padding:.3em .6em;text-align:left}
.bullish,.very_bullish{color:#7fd17f}.bearish,.very_bearish{color:#f07878}#log{white-space:pre;font:12px monospace;max-height:20em;overflow:auto;background:#161b22;padding:.5em}
</style></head><body>
<h1>CoinDaily Realtime</h1>
<p>Paste a token (<code>coindaily token --sub you --roles user</code>) and connect.</p>
<p><input id="token" placeholder="JWT"> <input id="tokens" value="BTC,ETH,SOL" style="width:15%"> <button id="go">Connect</button> <span id="status">disconnected</span></p>
<table><thead><tr><th>token</th><th>sentiment</th><th>score</th><th>confidence</th><th>24h %</th><th>updated</th></tr></thead><tbody id="rows"></tbody></table>
<h3>Events</h3><div id="log"></div>
<script>
const $=id=>document.getElementById(id);
function log(m){const l=$('log');l.textContent=(new Date().toISOString().slice(11,19)+' '+m+'\n'+l.textContent).slice(0,20000);}
$('go').onclick=()=>{
  const ws=new WebSocket((location.protocol==='https:'?'wss://':'ws://')+location.host+'/ws');
  ws.onopen=()=>{$('status').textContent='connected';ws.send(JSON.stringify({type:'auth',token:$('token').value.trim()}));};
  ws.onclose=e=>{$('status').textContent='closed '+e.code+' '+e.reason;};
  ws.onmessage=e=>{const m=JSON.parse(e.data);
    if(m.type==='auth_success'){ws.send(JSON.stringify({type:'subscribe_market_sentiment',data:{tokens:$('tokens').value.split(',').map(s=>s.trim())}}));
      for(const t of ['whale_activity','trending_memecoins','system_health']) ws.send(JSON.stringify({type:'subscribe_'+t,data:{}}));}
    if(m.type==='market_sentiment_update'){const d=m.data;let r=$('r-'+d.token);if(!r){r=document.createElement('tr');r.id='r-'+d.token;$('rows').appendChild(r);}
      r.innerHTML=`<td>${d.token}</td><td class="${d.sentiment}">${d.sentiment}</td><td>${d.score.toFixed(3)}</td><td>${d.confidence.toFixed(2)}</td><td>${d.priceChange24h.toFixed(2)}</td><td>${new Date(d.timestamp).toLocaleTimeString()}</td>`;}
    else log(e.data);};
};
</script></body></html>
"""#
}
