// Part of Benchmarks/peers/lsh_floor/run.sh (see there).
// Floor of an LSH probe through SQLite: read per-band blocked Bloom filters (bits/key B)
// for 1,000,000 keys a band, 9 bands, in a fresh process, and probe 10,000 keys a band.
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
static double now(void){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
static uint64_t mix(uint64_t x){x^=x>>33;x*=0xff51afd7ed558ccdULL;x^=x>>33;x*=0xc4ceb9fe1a85ec53ULL;x^=x>>33;return x;}
enum{BANDS=9,KEYS=1000000,PROBES=10000};
int main(int argc,char**argv){
  const char*path=argv[1]; int build=atoi(argv[2]); int bits=atoi(argv[3]); long mmap=atol(argv[4]);
  size_t lines=(size_t)KEYS*bits/512; size_t bytes=lines*64;
  sqlite3*db; sqlite3_open(path,&db);
  if(build){
    sqlite3_exec(db,"PRAGMA page_size=65536; PRAGMA journal_mode=WAL; CREATE TABLE f(id INTEGER PRIMARY KEY, data BLOB);",0,0,0);
    sqlite3_exec(db,"BEGIN",0,0,0);
    uint64_t*buf=calloc(bytes/8,8);
    for(int b=0;b<BANDS;b++){
      memset(buf,0,bytes);
      for(uint64_t k=0;k<KEYS;k++){uint64_t h=mix(k*BANDS+b+1);size_t l=(h>>32)%lines;uint64_t*w=buf+l*8;
        for(int i=0;i<6;i++){unsigned bit=(h>>(i*9))&511;w[bit>>6]|=1ULL<<(bit&63);} }
      sqlite3_stmt*s;sqlite3_prepare_v2(db,"INSERT INTO f VALUES(?,?)",-1,&s,0);
      sqlite3_bind_int(s,1,b);sqlite3_bind_blob(s,2,buf,bytes,SQLITE_STATIC);sqlite3_step(s);sqlite3_finalize(s);
    }
    sqlite3_exec(db,"COMMIT",0,0,0); sqlite3_close(db); return 0;
  }
  double t0=now();
  char q[64]; snprintf(q,64,"PRAGMA mmap_size=%ld",mmap); sqlite3_exec(db,q,0,0,0);
  sqlite3_exec(db,"BEGIN",0,0,0);
  uint64_t*buf=malloc(bytes); long found=0; double tread=0,tprobe=0;
  for(int b=0;b<BANDS;b++){
    double a=now();
    sqlite3_blob*bl; if(sqlite3_blob_open(db,"main","f","data",b,0,&bl)){printf("err %s\n",sqlite3_errmsg(db));return 1;}
    sqlite3_blob_read(bl,buf,bytes,0); sqlite3_blob_close(bl);
    double c=now(); tread+=c-a;
    for(uint64_t p=0;p<PROBES;p++){ // half present keys, half absent
      uint64_t k = (p&1)? p*97 : KEYS+p; uint64_t h=mix(k*BANDS+b+1); size_t l=(h>>32)%lines; uint64_t*w=buf+l*8; int ok=1;
      for(int i=0;i<6;i++){unsigned bit=(h>>(i*9))&511; ok&=(w[bit>>6]>>(bit&63))&1;} found+=ok; }
    tprobe+=now()-c;
  }
  sqlite3_exec(db,"COMMIT",0,0,0);
  double t1=now();
  printf("bits/key %d, %.1f MB, mmap %ld: total %.2f ms (read %.2f, probe %.2f), %ld found of %d\n",bits,bytes*9/1e6,mmap,(t1-t0)*1e3,tread*1e3,tprobe*1e3,found,BANDS*PROBES);
  return 0;
}
