// llama.cpp's C API. The include path comes from pkg-config (llama.pc, installed by `make setup`).
#include <llama.h>
