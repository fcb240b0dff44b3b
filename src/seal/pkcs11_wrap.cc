#include "seal/pkcs11_wrap.h"

#include <dlfcn.h>
#include <p11-kit/pkcs11.h>

#include <cstdio>
#include <vector>

#include "crypto/aead.h"
#include "crypto/random.h"

namespace arcana::seal {
namespace {

Status P11Error(const char* what, CK_RV rv) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "0x%08lx", static_cast<unsigned long>(rv));
  return Status(ErrorCode::kInternalFailure,
                std::string("PKCS#11 ") + what + " failed (CKR " + buf + ")");
}

std::string TrimLabel(const unsigned char* p, size_t n) {
  std::string s(reinterpret_cast<const char*>(p), n);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.pop_back();
  return s;
}

constexpr size_t kIvLen = 12;

}  // namespace

struct Pkcs11Wrapper::Impl {
  void* lib = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  bool initialized_here = false;
  CK_SESSION_HANDLE session = CK_INVALID_HANDLE;
  bool logged_in = false;
  CK_OBJECT_HANDLE key = CK_INVALID_HANDLE;

  ~Impl() {
    if (f != nullptr) {
      if (logged_in) f->C_Logout(session);
      if (session != CK_INVALID_HANDLE) f->C_CloseSession(session);
      if (initialized_here) f->C_Finalize(nullptr);
    }
    if (lib != nullptr) dlclose(lib);
  }

  Result<CK_OBJECT_HANDLE> FindKey(const std::string& label) {
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
    };
    CK_RV rv = f->C_FindObjectsInit(session, tmpl, 2);
    if (rv != CKR_OK) return P11Error("C_FindObjectsInit", rv);
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_ULONG n = 0;
    rv = f->C_FindObjects(session, &h, 1, &n);
    f->C_FindObjectsFinal(session);
    if (rv != CKR_OK) return P11Error("C_FindObjects", rv);
    return n == 1 ? h : CK_INVALID_HANDLE;
  }

  Result<CK_OBJECT_HANDLE> GenerateKey(const std::string& label) {
    CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
    CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
    CK_KEY_TYPE kt = CKK_AES;
    CK_ULONG len = 32;
    CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
    CK_ATTRIBUTE tmpl[] = {
        {CKA_CLASS, &cls, sizeof(cls)},
        {CKA_KEY_TYPE, &kt, sizeof(kt)},
        {CKA_VALUE_LEN, &len, sizeof(len)},
        {CKA_LABEL, const_cast<char*>(label.data()), label.size()},
        {CKA_TOKEN, &yes, sizeof(yes)},
        {CKA_PRIVATE, &yes, sizeof(yes)},
        {CKA_SENSITIVE, &yes, sizeof(yes)},
        {CKA_EXTRACTABLE, &no, sizeof(no)},
        {CKA_ENCRYPT, &yes, sizeof(yes)},
        {CKA_DECRYPT, &yes, sizeof(yes)},
    };
    CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;
    CK_RV rv = f->C_GenerateKey(session, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h);
    if (rv != CKR_OK) return P11Error("C_GenerateKey", rv);
    return h;
  }
};

Pkcs11Wrapper::Pkcs11Wrapper(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pkcs11Wrapper::~Pkcs11Wrapper() = default;

Result<std::unique_ptr<Pkcs11Wrapper>> Pkcs11Wrapper::Open(const Pkcs11Options& o,
                                                           bool create_key_if_missing) {
  if (o.module.empty()) {
    return Status(ErrorCode::kInvalidParameter, "--pkcs11-module is required for --seal pkcs11");
  }
  if (o.token_label.empty() && o.slot < 0) {
    return Status(ErrorCode::kInvalidParameter,
                  "--pkcs11-token-label or --pkcs11-slot is required for --seal pkcs11");
  }
  auto impl = std::make_unique<Impl>();
  impl->lib = dlopen(o.module.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (impl->lib == nullptr) {
    const char* e = dlerror();
    return Status(ErrorCode::kInternalFailure,
                  "cannot load PKCS#11 module " + o.module + ": " + (e ? e : "?"));
  }
  auto get_list = reinterpret_cast<CK_C_GetFunctionList>(dlsym(impl->lib, "C_GetFunctionList"));
  if (get_list == nullptr) {
    return Status(ErrorCode::kInternalFailure, o.module + " is not a PKCS#11 module");
  }
  CK_RV rv = get_list(&impl->f);
  if (rv != CKR_OK) return P11Error("C_GetFunctionList", rv);
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;
  rv = impl->f->C_Initialize(&args);
  if (rv == CKR_OK) {
    impl->initialized_here = true;
  } else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    return P11Error("C_Initialize", rv);
  }

  CK_SLOT_ID slot = 0;
  bool found = false;
  CK_ULONG count = 0;
  rv = impl->f->C_GetSlotList(CK_TRUE, nullptr, &count);
  if (rv != CKR_OK) return P11Error("C_GetSlotList", rv);
  std::vector<CK_SLOT_ID> slots(count);
  rv = impl->f->C_GetSlotList(CK_TRUE, slots.data(), &count);
  if (rv != CKR_OK) return P11Error("C_GetSlotList", rv);
  slots.resize(count);
  for (CK_SLOT_ID s : slots) {
    if (o.slot >= 0) {
      if (s == static_cast<CK_SLOT_ID>(o.slot)) { slot = s; found = true; break; }
      continue;
    }
    CK_TOKEN_INFO ti{};
    if (impl->f->C_GetTokenInfo(s, &ti) != CKR_OK) continue;
    if (TrimLabel(ti.label, sizeof(ti.label)) == o.token_label) { slot = s; found = true; break; }
  }
  if (!found) {
    return Status(ErrorCode::kInternalFailure,
                  o.slot >= 0 ? "no PKCS#11 token in slot " + std::to_string(o.slot)
                              : "no PKCS#11 token labelled '" + o.token_label + "'");
  }
  rv = impl->f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr,
                              &impl->session);
  if (rv != CKR_OK) return P11Error("C_OpenSession", rv);
  rv = impl->f->C_Login(impl->session, CKU_USER,
                        reinterpret_cast<CK_UTF8CHAR_PTR>(const_cast<char*>(o.pin.data())),
                        o.pin.size());
  if (rv == CKR_OK) {
    impl->logged_in = true;
  } else if (rv != CKR_USER_ALREADY_LOGGED_IN) {
    return P11Error("C_Login", rv);
  }
  ARCANA_ASSIGN_OR_RETURN(impl->key, impl->FindKey(o.key_label));
  if (impl->key == CK_INVALID_HANDLE) {
    if (!create_key_if_missing) {
      return Status(ErrorCode::kInternalFailure,
                    "no AES key labelled '" + o.key_label + "' on the PKCS#11 token");
    }
    ARCANA_ASSIGN_OR_RETURN(impl->key, impl->GenerateKey(o.key_label));
  }
  return std::unique_ptr<Pkcs11Wrapper>(new Pkcs11Wrapper(std::move(impl)));
}

Result<std::string> Pkcs11Wrapper::Wrap(std::string_view key, std::string_view aad) {
  std::string iv = crypto::RandomBytes(kIvLen);
  CK_GCM_PARAMS gp{reinterpret_cast<unsigned char*>(iv.data()), kIvLen, kIvLen * 8,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(aad.data())), aad.size(),
                   128};
  CK_MECHANISM mech = {CKM_AES_GCM, &gp, sizeof(gp)};
  auto* f = impl_->f;
  CK_RV rv = f->C_EncryptInit(impl_->session, &mech, impl_->key);
  if (rv != CKR_OK) return P11Error("C_EncryptInit", rv);
  std::string out(key.size() + 64, '\0');
  CK_ULONG n = out.size();
  rv = f->C_Encrypt(impl_->session,
                    reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(key.data())), key.size(),
                    reinterpret_cast<CK_BYTE_PTR>(out.data()), &n);
  if (rv != CKR_OK) return P11Error("C_Encrypt", rv);
  out.resize(n);
  return iv + out;
}

Result<std::string> Pkcs11Wrapper::Unwrap(std::string_view blob, std::string_view aad) {
  if (blob.size() <= kIvLen + 16) {
    return Status(ErrorCode::kInternalFailure, "the HSM-wrapped root key is truncated");
  }
  std::string iv(blob.substr(0, kIvLen));
  std::string ct(blob.substr(kIvLen));
  CK_GCM_PARAMS gp{reinterpret_cast<unsigned char*>(iv.data()), kIvLen, kIvLen * 8,
                   reinterpret_cast<unsigned char*>(const_cast<char*>(aad.data())), aad.size(),
                   128};
  CK_MECHANISM mech = {CKM_AES_GCM, &gp, sizeof(gp)};
  auto* f = impl_->f;
  CK_RV rv = f->C_DecryptInit(impl_->session, &mech, impl_->key);
  if (rv != CKR_OK) return P11Error("C_DecryptInit", rv);
  std::string out(ct.size(), '\0');
  CK_ULONG n = out.size();
  rv = f->C_Decrypt(impl_->session, reinterpret_cast<CK_BYTE_PTR>(ct.data()), ct.size(),
                    reinterpret_cast<CK_BYTE_PTR>(out.data()), &n);
  if (rv != CKR_OK) {
    crypto::SecureWipe(out);
    return Status(ErrorCode::kInternalFailure,
                  "the PKCS#11 key cannot unwrap the root key (wrong token key?)");
  }
  out.resize(n);
  return out;
}

}  // namespace arcana::seal
