import { startFakeApi, startWorker, api, pgUrl } from "/work/main/bench/lib.mjs";
import { readFileSync, readdirSync } from "node:fs";
function rss(pid){ let tot=0; for (const e of readdirSync('/proc')) { if(!/^\d+$/.test(e)) continue; try{ const st=readFileSync(`/proc/${e}/stat`,'utf8'); const comm=st.slice(st.indexOf('(')+1, st.lastIndexOf(')')); if(!comm.startsWith('workerd')) continue; const s=readFileSync(`/proc/${e}/status`,'utf8'); tot=Math.max(tot, Number(s.match(/VmRSS:\s+(\d+)/)[1])/1024);}catch{} } return tot.toFixed(0); }
const fake = await startFakeApi();
await fetch(`${fake.base}/t/m/_control/seed`, {method:'POST', headers:{'content-type':'application/json'}, body: JSON.stringify({count: Number(process.argv[2]||500000)})});
const w = await startWorker({ fakePort: fake.port, port: 18790 });
const call = api(w.base);
const boot = await call("/api/v1/workspaces", { method: "POST", key: "bench-admin-token-0123456789", body: { name: "m" } });
const ws = boot.workspace.id, key = boot.api_key.key;
const sc = (p, i={}) => call(`/api/v1/workspaces/${ws}${p}`, {...i, key, workspace: ws});
const u = new URL(pgUrl());
const src = await sc('/sources', {method:'POST', body:{name:'pg', source_type:'postgresql', config:{host:u.hostname, port:5432, database:'test', user:'postgres', password:'x', sslmode:'disable'}}});
const l = await sc('/loaders', {method:'POST', body:{name:'m', loader_type:'rest_api', source_id: src.id, target_schema:'memprobe', sync_mode:'full_refresh', selected_streams:[{name:'items'}], config:{base_url:'https://api.example.com/t/m', auth:{type:'none'}, paginator:{type:'cursor', cursor_param:'after', cursor_path:'next_cursor', limit_param:'limit', limit:100}, streams:[{name:'items', path:'/cursor/items', records_path:'results', primary_key:['id']}]}}});
console.log('before', rss());
const run = await sc(`/loaders/${l.id}/trigger`, {method:'POST'});
for(;;){ await new Promise(r=>setTimeout(r,1000)); const r = await sc(`/loaders/${l.id}/runs/${run.id}`); console.log(r.status, r.rows_loaded, rss()); if(r.status!=='running' && r.status!=='pending') break; }
await w.stop(); fake.stop();
