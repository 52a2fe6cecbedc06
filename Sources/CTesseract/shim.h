// Tesseract's C API (OCR of rendered scanned pages). Include paths come from pkg-config
// (tesseract.pc); only RagExtraction imports this module.
#include <tesseract/capi.h>
