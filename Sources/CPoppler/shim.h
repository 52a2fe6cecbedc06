// poppler-glib (PDF parsing and text extraction) plus the GLib/GObject calls needed to manage
// its objects and errors, and cairo, onto which pages without a text layer are rendered for
// OCR. Include paths (poppler, glib-2.0, cairo) come from pkg-config (poppler-glib.pc).
#include <glib.h>
#include <glib-object.h>
#include <cairo.h>
#include <poppler.h>
