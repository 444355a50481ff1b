//! Generates the hook table from the one declaration of the contract.
//!
//! Reads the `ArchHooks` trait in `src/hooks.rs` with `syn` and writes
//! `$OUT_DIR/hook_table.rs`: an enum `Hook` with one variant per method,
//! and for each its C macro name, C parameter list, summary and generic
//! default. Nothing else in the project lists the hooks.

use std::{env, fs, path::PathBuf};

use proc_macro2::{Ident, Span};
use quote::quote;

struct HookDecl {
    name: String,
    params: Vec<String>,
    summary: String,
    c_default: String,
}

fn main() {
    let src = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap()).join("src/hooks.rs");
    println!("cargo:rerun-if-changed={}", src.display());
    let text = fs::read_to_string(&src).expect("read src/hooks.rs");
    let file = syn::parse_file(&text).expect("src/hooks.rs must parse");

    let decls = hook_decls(&file);
    assert!(!decls.is_empty(), "trait ArchHooks declares no hooks");

    let variants: Vec<Ident> = decls.iter().map(|d| Ident::new(&camel(&d.name), Span::call_site())).collect();
    let names = decls.iter().map(|d| d.name.as_str());
    let c_names = decls.iter().map(|d| format!("arch_kmap_local_{}", d.name));
    let params = decls.iter().map(|d| {
        let p = d.params.iter();
        quote! { &[#(#p),*] }
    });
    let summaries = decls.iter().map(|d| d.summary.as_str());
    let defaults = decls.iter().map(|d| d.c_default.as_str());
    let count = decls.len();
    let v1 = variants.clone();
    let v2 = variants.clone();
    let v3 = variants.clone();
    let v4 = variants.clone();
    let v5 = variants.clone();
    let n2 = decls.iter().map(|d| d.name.as_str());

    let out = quote! {
        /// One hook of the kmap_local contract (generated from `ArchHooks`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Hook { #(#variants),* }

        impl Hook {
            /// Every hook, in the order of the contract.
            pub const ALL: [Hook; #count] = [#(Hook::#v1),*];

            /// The hook's short name, as used in descriptors.
            pub fn name(self) -> &'static str {
                match self { #(Hook::#v2 => #names),* }
            }

            /// The C macro an arch defines to provide this hook.
            pub fn c_name(self) -> &'static str {
                match self { #(Hook::#v3 => #c_names),* }
            }

            /// The C macro's parameter names, in order.
            pub fn params(self) -> &'static [&'static str] {
                match self { #(Hook::#v4 => #params),* }
            }

            /// One-line summary of when the generic code calls the hook.
            pub fn summary(self) -> &'static str {
                match self { #(Hook::#v5 => #summaries),* }
            }

            /// The generic fallback's C text in mm/highmem.c.
            pub fn c_default(self) -> &'static str {
                match self { #(Hook::#variants => #defaults),* }
            }

            /// Looks a hook up by its short name.
            pub fn from_name(name: &str) -> Option<Hook> {
                Hook::ALL.into_iter().find(|h| h.name() == name)
            }
        }

        const _: [(); #count] = [(); [#(#n2),*].len()];
    };

    let dest = PathBuf::from(env::var("OUT_DIR").unwrap()).join("hook_table.rs");
    fs::write(dest, out.to_string()).expect("write hook_table.rs");
}

fn hook_decls(file: &syn::File) -> Vec<HookDecl> {
    let hooks = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Trait(t) if t.ident == "ArchHooks" => Some(t),
            _ => None,
        })
        .expect("src/hooks.rs must declare trait ArchHooks");

    hooks
        .items
        .iter()
        .filter_map(|item| match item {
            syn::TraitItem::Fn(f) => Some(f),
            _ => None,
        })
        .map(|f| {
            let params = f
                .sig
                .inputs
                .iter()
                .filter_map(|arg| match arg {
                    syn::FnArg::Typed(pat) => match &*pat.pat {
                        syn::Pat::Ident(id) => Some(id.ident.to_string()),
                        _ => panic!("hook {}: parameters must be plain names", f.sig.ident),
                    },
                    syn::FnArg::Receiver(_) => None,
                })
                .collect();
            let docs: Vec<String> = f
                .attrs
                .iter()
                .filter(|a| a.path().is_ident("doc"))
                .filter_map(|a| match &a.meta {
                    syn::Meta::NameValue(nv) => match &nv.value {
                        syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value().trim().to_string()),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let c_default = docs
                .iter()
                .find_map(|d| d.strip_prefix("default:").map(|s| s.trim().to_string()))
                .unwrap_or_else(|| panic!("hook {}: missing `/// default: ...` line", f.sig.ident));
            let summary = docs.iter().find(|d| !d.starts_with("default:")).cloned().unwrap_or_default();
            HookDecl { name: f.sig.ident.to_string(), params, summary, c_default }
        })
        .collect()
}

fn camel(snake: &str) -> String {
    snake
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(first) => first.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}
