#include "common/qr_png.h"

#include <png.h>
#include <qrencode.h>

#include <memory>
#include <vector>

namespace arcana {

namespace {

constexpr int kQuietZone = 4;  // modules of white around the code (ISO/IEC 18004)

void AppendToString(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

void NoFlush(png_structp) {}

}  // namespace

Result<std::string> QrCodePng(std::string_view text, int scale) {
  const Status failed(ErrorCode::kInternalServiceError, "the QR code could not be drawn");
  if (scale < 1 || scale > 16) return failed;
  const std::string data(text);  // QRcode_encodeString8bit wants a NUL-terminated string
  std::unique_ptr<QRcode, decltype(&QRcode_free)> code(
      QRcode_encodeString8bit(data.c_str(), 0, QR_ECLEVEL_M), &QRcode_free);
  if (!code) return failed;
  const int modules = code->width + 2 * kQuietZone;
  const int side = modules * scale;

  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return failed;
  png_infop info = png_create_info_struct(png);
  if (info == nullptr) {
    png_destroy_write_struct(&png, nullptr);
    return failed;
  }
  std::string out;
  std::vector<png_byte> row(static_cast<size_t>(side));
  // libpng reports errors by longjmp: nothing with a destructor may be created between here
  // and the end of the encoding (row and out already exist).
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return failed;
  }
  png_set_write_fn(png, &out, AppendToString, NoFlush);
  png_set_IHDR(png, info, static_cast<png_uint_32>(side), static_cast<png_uint_32>(side), 8,
               PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < side; ++y) {
    const int my = y / scale - kQuietZone;
    for (int x = 0; x < side; ++x) {
      const int mx = x / scale - kQuietZone;
      const bool inside = my >= 0 && my < code->width && mx >= 0 && mx < code->width;
      // Bit 0 of each libqrencode module is 1 for a dark module.
      const bool dark = inside && (code->data[my * code->width + mx] & 1) != 0;
      row[static_cast<size_t>(x)] = dark ? 0x00 : 0xFF;
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace arcana
