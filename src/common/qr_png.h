// A QR code as a PNG image (libqrencode draws the code, libpng encodes it): how IAM hands a
// virtual MFA device's otpauth:// URI to an authenticator app (CreateVirtualMFADevice's
// QRCodePNG). Black modules on white, each module `scale` pixels square, with the four-module
// quiet zone the QR specification asks for. Thread-safety: pure function.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace arcana {

// kInternalServiceError when the text does not fit a QR code or an encoder fails.
Result<std::string> QrCodePng(std::string_view text, int scale = 4);

}  // namespace arcana
