/*
 * A flat C API over libheif for darkroom's optional `heif` feature: decode
 * the primary image of a HEIC or AVIF file to 8-bit interleaved RGB, with
 * libheif's transformations (rotation, mirroring, clean aperture) applied,
 * and hand back its ICC profile. libheif is LGPL, so darkroom only calls
 * this from its helper process (see src/heif_decode.rs).
 */
#include <libheif/heif.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DRK_HEIF_OK = 0, DRK_HEIF_ERROR = 1, DRK_HEIF_TOO_LARGE = 2 };

static int fail(char *message, size_t message_len, const char *what,
                const char *detail) {
  snprintf(message, message_len, "%s%s%s", what, detail ? ": " : "",
           detail ? detail : "");
  return DRK_HEIF_ERROR;
}

void drk_heif_free(void *p) { free(p); }

/*
 * Decodes `data`. The stored size is checked against `max_pixels` and
 * `max_edge` before any pixel buffer exists (then DRK_HEIF_TOO_LARGE, with
 * the size in *width and *height). On success *pixels holds
 * *width × *height × 3 bytes and *icc (maybe NULL) *icc_len bytes, both
 * malloc'd for drk_heif_free.
 */
int drk_heif_decode(const uint8_t *data, size_t len, uint64_t max_pixels,
                    uint32_t max_edge, uint32_t *width, uint32_t *height,
                    uint8_t **pixels, uint8_t **icc, size_t *icc_len,
                    char *message, size_t message_len) {
  *pixels = NULL;
  *icc = NULL;
  *icc_len = 0;
  int rc = DRK_HEIF_ERROR;
  struct heif_context *ctx = heif_context_alloc();
  struct heif_image_handle *handle = NULL;
  struct heif_image *image = NULL;
  if (ctx == NULL) return fail(message, message_len, "out of memory", NULL);

  struct heif_error err =
      heif_context_read_from_memory_without_copy(ctx, data, len, NULL);
  if (err.code != heif_error_Ok) {
    rc = fail(message, message_len, "not a readable HEIF file", err.message);
    goto done;
  }
  err = heif_context_get_primary_image_handle(ctx, &handle);
  if (err.code != heif_error_Ok) {
    rc = fail(message, message_len, "no primary image", err.message);
    goto done;
  }
  int w = heif_image_handle_get_width(handle);
  int h = heif_image_handle_get_height(handle);
  if (w <= 0 || h <= 0) {
    rc = fail(message, message_len, "the primary image has no size", NULL);
    goto done;
  }
  *width = (uint32_t)w;
  *height = (uint32_t)h;
  if ((uint32_t)w > max_edge || (uint32_t)h > max_edge ||
      (uint64_t)w * (uint64_t)h > max_pixels) {
    rc = DRK_HEIF_TOO_LARGE;
    goto done;
  }

  enum heif_color_profile_type profile =
      heif_image_handle_get_color_profile_type(handle);
  if (profile == heif_color_profile_type_prof ||
      profile == heif_color_profile_type_rICC) {
    size_t n = heif_image_handle_get_raw_color_profile_size(handle);
    if (n > 0 && n < (16u << 20) && (*icc = malloc(n)) != NULL) {
      err = heif_image_handle_get_raw_color_profile(handle, *icc);
      if (err.code == heif_error_Ok) {
        *icc_len = n;
      } else {
        free(*icc);
        *icc = NULL;
      }
    }
  }

  err = heif_decode_image(handle, &image, heif_colorspace_RGB,
                          heif_chroma_interleaved_RGB, NULL);
  if (err.code != heif_error_Ok) {
    rc = fail(message, message_len, "cannot decode", err.message);
    goto done;
  }
  int stride = 0;
  const uint8_t *plane =
      heif_image_get_plane_readonly(image, heif_channel_interleaved, &stride);
  int ow = heif_image_get_width(image, heif_channel_interleaved);
  int oh = heif_image_get_height(image, heif_channel_interleaved);
  if (plane == NULL || ow <= 0 || oh <= 0 || stride < ow * 3 ||
      (uint64_t)ow * (uint64_t)oh > max_pixels) {
    rc = fail(message, message_len, "the decoder returned no usable pixels",
              NULL);
    goto done;
  }
  size_t row = (size_t)ow * 3;
  *pixels = malloc(row * (size_t)oh);
  if (*pixels == NULL) {
    rc = fail(message, message_len, "out of memory", NULL);
    goto done;
  }
  for (int y = 0; y < oh; y++)
    memcpy(*pixels + row * (size_t)y, plane + (size_t)stride * (size_t)y, row);
  *width = (uint32_t)ow;
  *height = (uint32_t)oh;
  rc = DRK_HEIF_OK;

done:
  if (rc != DRK_HEIF_OK) {
    free(*icc);
    *icc = NULL;
    *icc_len = 0;
  }
  if (image) heif_image_release(image);
  if (handle) heif_image_handle_release(handle);
  heif_context_free(ctx);
  return rc;
}
