#!/usr/bin/env python3
"""Where a process's resident memory lives, by kind of mapping: malloc arenas, the main
heap, thread stacks, file-backed pages. Reads /proc/PID/smaps (or saved copies of it).

  scripts/smaps-classes.py /proc/$(pgrep -f 'cuttle serve')/smaps [more smaps files...]

Prints one line per file: kind=resident KiB/number of mappings. Thread stacks are the rw
mappings right after a 4 KiB guard page (or of the default 8 MiB size); glibc's
per-thread arenas are the anonymous rw mappings aligned to 64 MiB. Used to find the
growth that rest-soak measured (docs/performance.md, "rest-soak flat").
"""
import re
import sys
def parse(path):
    maps=[]; cur=None
    for line in open(path):
        m=re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ (\d+)\s*(.*)$', line)
        if m:
            cur={'start':int(m.group(1),16),'end':int(m.group(2),16),'perm':m.group(3),'inode':int(m.group(4)),'name':m.group(5).strip()}
            maps.append(cur)
        elif cur is not None and line.startswith('Rss:'):
            cur['rss']=int(line.split()[1])
        elif cur is not None and line.startswith('Anonymous:'):
            cur['anon']=int(line.split()[1])
    return maps
def classify(maps):
    out={}
    for i,m in enumerate(maps):
        size=(m['end']-m['start'])//1024
        if m['name']=='[heap]': k='main-heap'
        elif m['name'].startswith('['): k=m['name']
        elif m['name']: k='file'
        elif m['perm'].startswith('rw'):
            if size in (8188,8192,8184) or (i>0 and maps[i-1]['perm']=='---p' and (maps[i-1]['end']-maps[i-1]['start'])==4096 and maps[i-1]['end']==m['start']): k='thread-stack'
            elif m['start'] % (64<<20) == 0: k='arena'
            else: k='anon-other'
        else: k='other'
        d=out.setdefault(k,[0,0]); d[0]+=m.get('rss',0); d[1]+=1
    return out
for p in sys.argv[1:]:
    c=classify(parse(p))
    print(p, ' '.join(f"{k}={v[0]}k/{v[1]}" for k,v in sorted(c.items())))
