/*
 * A small, flat C interface to the system's libjpeg-turbo (libjpeg62 ABI),
 * so that Rust never touches libjpeg's structs or its setjmp/longjmp error
 * handling.
 *
 * Every entry point sets its own setjmp before calling into libjpeg; libjpeg's
 * fatal errors longjmp back into that same C frame, so no jump ever crosses a
 * Rust frame. Messages are written into the handle and never printed.
 *
 * Why libjpeg-turbo: its SIMD Huffman/IDCT paths and DCT-domain scaling
 * (decode at 1/2, 1/4, 1/8) are what make thumbnails fast, and Debian ships it
 * (libjpeg62-turbo-dev) on every machine darkroom builds on.
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

/* A progressive JPEG may have any number of scans; each one re-walks the whole
 * coefficient buffer. libjpeg-turbo's own TurboJPEG API refuses more than 500
 * (TJFLAG_LIMITSCANS) to stop "scan bombs"; so do we. */
#define DRK_MAX_SCANS 500

#define DRK_MESSAGE_LEN 200

struct drk_error {
  struct jpeg_error_mgr pub;
  jmp_buf jump;
  char message[DRK_MESSAGE_LEN];
  char first_warning[DRK_MESSAGE_LEN];
  int warnings;
};

static void drk_error_exit(j_common_ptr cinfo) {
  struct drk_error *err = (struct drk_error *)cinfo->err;
  char buffer[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, buffer);
  snprintf(err->message, sizeof err->message, "%s", buffer);
  longjmp(err->jump, 1);
}

static void drk_emit_message(j_common_ptr cinfo, int level) {
  struct drk_error *err = (struct drk_error *)cinfo->err;
  if (level >= 0) return; /* trace messages */
  /* Warnings: corrupt or truncated entropy data. libjpeg fills what is
   * missing and goes on; we keep the first message for the caller. */
  if (err->warnings == 0) {
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    snprintf(err->first_warning, sizeof err->first_warning, "%s", buffer);
  }
  err->warnings++;
}

static void drk_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void drk_init_error(struct drk_error *err) {
  memset(err, 0, sizeof *err);
  jpeg_std_error(&err->pub);
  err->pub.error_exit = drk_error_exit;
  err->pub.emit_message = drk_emit_message;
  err->pub.output_message = drk_output_message;
}

static void drk_progress(j_common_ptr cinfo) {
  if (cinfo->is_decompressor &&
      ((j_decompress_ptr)cinfo)->input_scan_number > DRK_MAX_SCANS) {
    struct drk_error *err = (struct drk_error *)cinfo->err;
    snprintf(err->message, sizeof err->message,
             "more than %d progressive scans", DRK_MAX_SCANS);
    longjmp(err->jump, 1);
  }
}

/* ---- decoding ------------------------------------------------------------ */

struct drk_decoder {
  struct jpeg_decompress_struct cinfo;
  struct drk_error err;
  struct jpeg_progress_mgr progress;
  int started;
};

/* What the frame header says (values of libjpeg's J_COLOR_SPACE). */
struct drk_header {
  uint32_t width;
  uint32_t height;
  int32_t components;
  int32_t color_space;
  int32_t adobe_transform; /* -1 without an Adobe APP14 marker */
  int32_t progressive;
};

const char *drk_decoder_message(const struct drk_decoder *d) {
  return d->err.message;
}

int drk_decoder_warnings(const struct drk_decoder *d) { return d->err.warnings; }

const char *drk_decoder_first_warning(const struct drk_decoder *d) {
  return d->err.first_warning;
}

/* Creates a decoder over `data` (which must outlive it) and reads the header.
 * Returns NULL only when out of memory; otherwise check the return code of
 * drk_decoder_header. */
struct drk_decoder *drk_decoder_new(void) {
  struct drk_decoder *volatile d = calloc(1, sizeof *d);
  if (d == NULL) return NULL;
  drk_init_error(&d->err);
  d->cinfo.err = &d->err.pub;
  if (setjmp(d->err.jump)) {
    free(d);
    return NULL;
  }
  jpeg_create_decompress(&d->cinfo);
  d->progress.progress_monitor = drk_progress;
  d->cinfo.progress = &d->progress;
  return d;
}

void drk_decoder_free(struct drk_decoder *d) {
  if (d == NULL) return;
  jpeg_destroy_decompress(&d->cinfo);
  free(d);
}

int drk_decoder_header(struct drk_decoder *d, const uint8_t *data, size_t len,
                       struct drk_header *out) {
  if (setjmp(d->err.jump)) return -1;
  jpeg_mem_src(&d->cinfo, data, (unsigned long)len);
  /* Keep APP2 segments: an ICC profile may be split across several. */
  jpeg_save_markers(&d->cinfo, JPEG_APP0 + 2, 0xFFFF);
  jpeg_read_header(&d->cinfo, TRUE);
  out->width = d->cinfo.image_width;
  out->height = d->cinfo.image_height;
  out->components = d->cinfo.num_components;
  out->color_space = (int32_t)d->cinfo.jpeg_color_space;
  out->adobe_transform =
      d->cinfo.saw_Adobe_marker ? (int32_t)d->cinfo.Adobe_transform : -1;
  out->progressive = d->cinfo.progressive_mode ? 1 : 0;
  return 0;
}

/* The embedded ICC profile, reassembled from its APP2 chunks: 1 and a
 * malloc'd buffer for the caller to drk_free, 0 when there is none or its
 * chunks are inconsistent, -1 on a fatal error. Call after the header. */
int drk_decoder_icc(struct drk_decoder *d, uint8_t **out, size_t *out_len) {
  JOCTET *icc = NULL;
  unsigned int len = 0;
  if (setjmp(d->err.jump)) return -1;
  if (!jpeg_read_icc_profile(&d->cinfo, &icc, &len)) return 0;
  *out = icc;
  *out_len = len;
  return 1;
}

/* Starts decompression at scale `scale_num`/8 into `out_color_space`
 * (JCS_RGB, JCS_GRAYSCALE or JCS_CMYK) and reports the output size. */
int drk_decoder_start(struct drk_decoder *d, int scale_num,
                      int out_color_space, uint32_t *out_width,
                      uint32_t *out_height, int32_t *out_components) {
  if (setjmp(d->err.jump)) return -1;
  d->cinfo.scale_num = (unsigned int)scale_num;
  d->cinfo.scale_denom = 8;
  d->cinfo.out_color_space = (J_COLOR_SPACE)out_color_space;
  d->cinfo.dct_method = JDCT_ISLOW;
  d->cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&d->cinfo);
  d->started = 1;
  *out_width = d->cinfo.output_width;
  *out_height = d->cinfo.output_height;
  *out_components = d->cinfo.output_components;
  return 0;
}

/* Reads every scanline into `pixels` (rows `stride` bytes apart; the caller
 * sized it from drk_decoder_start's answer, `capacity` bytes in all). */
int drk_decoder_read(struct drk_decoder *d, uint8_t *pixels, size_t stride,
                     size_t capacity) {
  if (setjmp(d->err.jump)) return -1;
  size_t row_bytes =
      (size_t)d->cinfo.output_width * (size_t)d->cinfo.output_components;
  if (!d->started || stride < row_bytes ||
      capacity < stride * (size_t)d->cinfo.output_height) {
    snprintf(d->err.message, sizeof d->err.message,
             "output buffer too small");
    return -1;
  }
  while (d->cinfo.output_scanline < d->cinfo.output_height) {
    JSAMPROW rows[16];
    JDIMENSION want = d->cinfo.output_height - d->cinfo.output_scanline;
    if (want > 16) want = 16;
    for (JDIMENSION i = 0; i < want; i++)
      rows[i] = pixels + (size_t)(d->cinfo.output_scanline + i) * stride;
    jpeg_read_scanlines(&d->cinfo, rows, want);
  }
  /* Skips to EOI; data after the image (a second frame, a trailing ZIP) is
   * neither read nor an error. */
  jpeg_abort_decompress(&d->cinfo);
  d->started = 0;
  return 0;
}

/* ---- encoding ------------------------------------------------------------ */

struct drk_encoder {
  struct jpeg_compress_struct cinfo;
  struct drk_error err;
  unsigned char *buffer;
  unsigned long buffer_len;
};

/* Encodes 8-bit RGB (components 3) or greyscale (1) pixels as a baseline JPEG
 * with libjpeg's defaults as libvips uses them: integer DCT, standard Huffman
 * tables (not optimised), 4:2:0 chroma below quality 90 and 4:4:4 from 90 up
 * (Huffman coded unless `arithmetic`), with the EXIF block `exif` (a TIFF
 * structure, at most 65527 bytes: one APP1 segment, after the JFIF header)
 * and the ICC profile `icc` when given.
 * The same input always gives the same bytes.
 *
 * On success *out holds a malloc'd buffer for the caller to drk_free. On
 * failure the message is copied into `message` (`message_len` bytes). */
int drk_encode(const uint8_t *pixels, uint32_t width, uint32_t height,
               int components, size_t stride, int quality, int arithmetic,
               const uint8_t *exif, size_t exif_len, const uint8_t *icc,
               size_t icc_len, uint8_t **out,
               size_t *out_len, char *message, size_t message_len) {
  /* On the heap, not the stack: what libjpeg changes between setjmp and
   * longjmp must live in memory for the jump to see it. */
  struct drk_encoder *e = calloc(1, sizeof *e);
  if (e == NULL) {
    snprintf(message, message_len, "out of memory");
    return -1;
  }
  drk_init_error(&e->err);
  e->cinfo.err = &e->err.pub;
  if (setjmp(e->err.jump)) {
    snprintf(message, message_len, "%s", e->err.message);
    jpeg_destroy_compress(&e->cinfo);
    free(e->buffer);
    free(e);
    return -1;
  }
  jpeg_create_compress(&e->cinfo);
  jpeg_mem_dest(&e->cinfo, &e->buffer, &e->buffer_len);
  e->cinfo.image_width = width;
  e->cinfo.image_height = height;
  e->cinfo.input_components = components;
  e->cinfo.in_color_space = components == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&e->cinfo);
  jpeg_set_quality(&e->cinfo, quality, TRUE);
  e->cinfo.dct_method = JDCT_ISLOW;
  /* Arithmetic coding: only the tests ask for it, to make such files. */
  e->cinfo.arith_code = arithmetic ? TRUE : FALSE;
  if (components == 3) {
    int sub = quality < 90 ? 2 : 1;
    e->cinfo.comp_info[0].h_samp_factor = sub;
    e->cinfo.comp_info[0].v_samp_factor = sub;
  }
  jpeg_start_compress(&e->cinfo, TRUE);
  if (exif != NULL && exif_len > 0 && exif_len <= 65533 - 6) {
    static const JOCTET prefix[6] = {'E', 'x', 'i', 'f', 0, 0};
    jpeg_write_m_header(&e->cinfo, JPEG_APP0 + 1, (unsigned int)(6 + exif_len));
    for (size_t i = 0; i < 6; i++) jpeg_write_m_byte(&e->cinfo, prefix[i]);
    for (size_t i = 0; i < exif_len; i++) jpeg_write_m_byte(&e->cinfo, exif[i]);
  }
  if (icc != NULL && icc_len > 0)
    jpeg_write_icc_profile(&e->cinfo, icc, (unsigned int)icc_len);
  while (e->cinfo.next_scanline < e->cinfo.image_height) {
    JSAMPROW row =
        (JSAMPROW)(pixels + (size_t)e->cinfo.next_scanline * stride);
    jpeg_write_scanlines(&e->cinfo, &row, 1);
  }
  jpeg_finish_compress(&e->cinfo);
  jpeg_destroy_compress(&e->cinfo);
  *out = e->buffer;
  *out_len = (size_t)e->buffer_len;
  free(e);
  return 0;
}

void drk_free(void *p) { free(p); }
