//! The screen: state and update ([`app`]), keys as data ([`keymap`]), and views that draw an
//! owned snapshot without doing I/O ([`view`]).

pub mod action;
pub mod app;
pub mod filter;
pub mod keymap;
pub(crate) mod lists;
mod prompt;
pub mod run;
mod select;
pub mod sort;
pub mod theme;
pub mod view;
