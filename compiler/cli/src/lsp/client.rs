//! A minimal LSP client that drives `rwc lsp` as a child process over real
//! JSON-RPC on stdio: the integration tests and `rwc bench lsp` use it.

use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::Value;
use std::io::{BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    messages: crossbeam_channel::Receiver<Message>,
    /// Notifications received while waiting for something else.
    pub notifications: Vec<Notification>,
    next_id: i32,
}

impl Client {
    /// Starts `exe lsp ARGS...`.
    pub fn start(exe: &std::path::Path, args: &[&str]) -> std::io::Result<Client> {
        let mut child = Command::new(exe)
            .arg("lsp")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or_else(|| std::io::Error::other("no stdout"))?;
        let (sender, messages) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(message)) = Message::read(&mut reader) {
                if sender.send(message).is_err() {
                    break;
                }
            }
        });
        Ok(Client { child, stdin, messages, notifications: Vec::new(), next_id: 0 })
    }

    /// Writes messages in one go (a burst arrives as one write).
    pub fn send_all(&mut self, messages: &[Message]) -> std::io::Result<()> {
        let mut buffer = Vec::new();
        for m in messages {
            m.clone().write(&mut buffer)?;
        }
        let stdin = self.stdin.as_mut().ok_or_else(|| std::io::Error::other("stdin closed"))?;
        stdin.write_all(&buffer)?;
        stdin.flush()
    }

    pub fn notify(&mut self, method: &str, params: Value) -> std::io::Result<()> {
        self.send_all(&[Notification::new(method.to_string(), params).into()])
    }

    pub fn notification(method: &str, params: Value) -> Message {
        Notification::new(method.to_string(), params).into()
    }

    /// Sends a request and waits for its response: the result, or the
    /// error's message.
    pub fn request(&mut self, method: &str, params: Value, timeout: Duration) -> Result<Value, String> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        self.send_all(&[Request::new(id.clone(), method.to_string(), params).into()]).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(Message::Response(r)) if r.id == id => {
                    return r.response_result.map_err(|e| e.message);
                }
                Ok(Message::Notification(n)) => self.notifications.push(n),
                Ok(_) => {}
                Err(_) => return Err(format!("no response to `{method}` within {timeout:?}")),
            }
        }
    }

    /// Waits for a notification that `wanted` accepts (earlier ones that
    /// arrived while waiting for responses count too), removing it.
    pub fn wait_for(&mut self, timeout: Duration, wanted: impl Fn(&Notification) -> bool) -> Option<Notification> {
        if let Some(i) = self.notifications.iter().position(&wanted) {
            return Some(self.notifications.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.messages.recv_timeout(left) {
                Ok(Message::Notification(n)) if wanted(&n) => return Some(n),
                Ok(Message::Notification(n)) => self.notifications.push(n),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// `publishDiagnostics` for `uri` at `version`.
    pub fn wait_diagnostics(&mut self, uri: &str, version: i32, timeout: Duration) -> Option<Value> {
        self.wait_for(timeout, |n| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == uri
                && n.params["version"].as_i64() == Some(i64::from(version))
        })
        .map(|n| n.params)
    }

    /// Every notification that arrives within `quiet` of the previous one.
    pub fn drain(&mut self, quiet: Duration) -> Vec<Notification> {
        let mut out = std::mem::take(&mut self.notifications);
        while let Ok(m) = self.messages.recv_timeout(quiet) {
            if let Message::Notification(n) = m {
                out.push(n);
            }
        }
        out
    }

    /// `shutdown`, `exit`, and the server's exit code.
    pub fn shutdown(mut self, timeout: Duration) -> Result<i32, String> {
        self.request("shutdown", Value::Null, timeout)?;
        self.notify("exit", Value::Null).map_err(|e| e.to_string())?;
        drop(self.stdin.take());
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(status.code().unwrap_or(-1)),
                Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Ok(None) => {
                    let _ = self.child.kill();
                    return Err("the server did not exit".into());
                }
                Err(e) => return Err(e.to_string()),
            }
        }
    }
}

impl Client {
    /// The server's exit code, if it has exited.
    pub fn try_exit_code(&mut self) -> Option<i32> {
        self.child.try_wait().ok().flatten().map(|s| s.code().unwrap_or(-1))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
