// Part of Benchmarks/peers/lsh_floor/run.sh (see there).
// 1,264 fetches of small rows (a key's documents, 12 bytes) by rowid from a
// table of N rows, in a fresh process: the per-hit cost of a layout with a row a key.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  sqlite3*db; sqlite3_open(argv[1],&db); int build=atoi(argv[2]); long rows=atol(argv[3]);
  if(build){
    char ps[96]; snprintf(ps,96,"PRAGMA page_size=%s; PRAGMA journal_mode=WAL;",argv[4]); sqlite3_exec(db,ps,0,0,0);
    sqlite3_exec(db,"CREATE TABLE k(id INTEGER PRIMARY KEY, d BLOB); BEGIN",0,0,0);
    sqlite3_stmt*s; sqlite3_prepare_v2(db,"INSERT INTO k VALUES(?,?)",-1,&s,0); char b[12]={1,2,3,4,5,6,7,8,9,10,11,12};
    for(long i=1;i<=rows;i++){ sqlite3_bind_int64(s,1,i); sqlite3_bind_blob(s,2,b,12,SQLITE_STATIC); sqlite3_step(s); sqlite3_reset(s);} 
    sqlite3_exec(db,"COMMIT",0,0,0); sqlite3_close(db); return 0; }
  double t0=now(); sqlite3_exec(db,"BEGIN",0,0,0);
  sqlite3_stmt*q; sqlite3_prepare_v2(db,"SELECT d FROM k WHERE id = ?",-1,&q,0); srand(7); long sum=0;
  double t1=now();
  for(int f=0;f<1264;f++){ sqlite3_bind_int64(q,1,1+rand()%rows); sqlite3_step(q); const char*d=sqlite3_column_blob(q,0); sum+=d[3]; sqlite3_reset(q);} 
  double t2=now(); sqlite3_exec(db,"COMMIT",0,0,0);
  printf("%ld rows: open %.2f ms, 1264 fetches %.2f ms (%.2f us each)\n",rows,(t1-t0)*1e3,(t2-t1)*1e3,(t2-t1)*1e6/1264); return sum==1; }
