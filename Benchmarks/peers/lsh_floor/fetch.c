// Part of Benchmarks/peers/lsh_floor/run.sh (see there).
// Cost of fetching one entry from a stored block: sqlite3_blob_reopen to a random block
// and a 512-byte read of its keys plus a 4-byte read of its documents (two handles).
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
enum{BLOCKS=4400,ENTRIES=2048,FETCHES=1264};
int main(int argc,char**argv){
  sqlite3*db; sqlite3_open(argv[1],&db); int build=atoi(argv[2]); long mmap=atol(argv[3]);
  if(build){
    // The page size: argv[4] (default 65536, as the fingerprint files of large inputs).
    char ps[96]; snprintf(ps,96,"PRAGMA page_size=%s; PRAGMA journal_mode=WAL;",argc>4?argv[4]:"65536"); sqlite3_exec(db,ps,0,0,0);
    sqlite3_exec(db,"CREATE TABLE b(id INTEGER PRIMARY KEY, hashes BLOB, documents BLOB);",0,0,0);
    sqlite3_exec(db,"BEGIN",0,0,0);
    char*h=calloc(ENTRIES,8),*d=calloc(ENTRIES,4); sqlite3_stmt*s; sqlite3_prepare_v2(db,"INSERT INTO b VALUES(?,?,?)",-1,&s,0);
    for(int i=1;i<=BLOCKS;i++){ for(int k=0;k<ENTRIES*8;k++)h[k]=rand(); sqlite3_bind_int(s,1,i);sqlite3_bind_blob(s,2,h,ENTRIES*8,SQLITE_STATIC);sqlite3_bind_blob(s,3,d,ENTRIES*4,SQLITE_STATIC);sqlite3_step(s);sqlite3_reset(s);}
    sqlite3_exec(db,"COMMIT",0,0,0); sqlite3_close(db); return 0;
  }
  char q[64]; snprintf(q,64,"PRAGMA mmap_size=%ld",mmap); sqlite3_exec(db,q,0,0,0);
  double t0=now(); sqlite3_exec(db,"BEGIN",0,0,0);
  sqlite3_blob*bh,*bd; sqlite3_blob_open(db,"main","b","hashes",1,0,&bh); sqlite3_blob_open(db,"main","b","documents",1,0,&bd);
  char buf[512]; long sum=0; srand(7);
  double t1=now();
  for(int f=0;f<FETCHES;f++){ int row=1+rand()%BLOCKS; int pos=rand()%(ENTRIES-64);
    sqlite3_blob_reopen(bh,row); sqlite3_blob_read(bh,buf,512,pos*8); sum+=buf[3];
    sqlite3_blob_reopen(bd,row); sqlite3_blob_read(bd,buf,4,pos*4); sum+=buf[1]; }
  double t2=now(); sqlite3_blob_close(bh); sqlite3_blob_close(bd);
  // The same fetches as a prepared SELECT of the row: the blobs fit in a
  // 64 KB page, so sqlite3_column_blob points into the page (into the
  // mapping with mmap) and nothing is copied but what is read.
  sqlite3_stmt*sel; sqlite3_prepare_v2(db,"SELECT hashes, documents FROM b WHERE id = ?",-1,&sel,0); srand(7);
  double t3=now();
  for(int f=0;f<FETCHES;f++){ int row=1+rand()%BLOCKS; int pos=rand()%(ENTRIES-64);
    sqlite3_bind_int(sel,1,row); sqlite3_step(sel);
    const char*h=sqlite3_column_blob(sel,0); const char*d=sqlite3_column_blob(sel,1); sum+=h[pos*8+3]+d[pos*4+1]; sqlite3_reset(sel); }
  double t4=now(); sqlite3_finalize(sel); sqlite3_exec(db,"COMMIT",0,0,0);
  printf("mmap %ld: open %.2f ms, %d fetches %.2f ms (%.2f us each); as a SELECT: %.2f ms (%.2f us each)\n",mmap,(t1-t0)*1e3,FETCHES,(t2-t1)*1e3,(t2-t1)*1e6/FETCHES,(t4-t3)*1e3,(t4-t3)*1e6/FETCHES);
  return sum==42;
}
