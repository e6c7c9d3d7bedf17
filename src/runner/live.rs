//! The broker under test as the case loop sees it: the case's connections, what the harness
//! sends on them and what comes back. [`Live::send`] delivers one planned [`Outgoing`] and
//! collects the reply and every connection's pushes; everything is logged for the report.

use super::error::CaseError;
use super::target::Target;
use crate::client::{ClientError, Connection, Exchange, Limits, Received};
use crate::scenario::{issued_challenge, Outgoing, VerifyFrame};
use crate::verdict::{Direction, WireLine};
use crate::wire::Frame;
use std::collections::{BTreeMap, HashMap};

/// How long to wait to be sure no reply comes (empty frames, TRANS-4).
const SILENCE_MS: u64 = 300;

/// What came back for one step.
#[derive(Debug, Default)]
pub struct Observed {
    /// The reply on the step's connection (`None`: none came, or a hook sent nothing).
    pub reply: Option<Frame>,
    /// Per case connection, the pushes in arrival order.
    pub pushes: BTreeMap<String, Vec<Frame>>,
    /// The connection the step was sent on.
    pub sender: String,
    /// How many of the sender's pushes came before its reply (`None`: no reply was waited
    /// for); the rest came after it (NOTIF-9).
    pub before_reply: Option<usize>,
    /// Connections that got a reply no request asked for.
    pub stray_replies: Vec<String>,
    /// Every frame the broker sent during the step, with its connection.
    pub received: Vec<(String, Frame)>,
    /// The wire log of the step.
    pub wire: Vec<WireLine>,
}

/// The case's connections to the broker under test.
#[derive(Default)]
pub struct Live {
    conns: BTreeMap<String, Connection>,
    wire: Vec<WireLine>,
    /// The challenge the broker last issued on each connection (AUTH-4): what an
    /// `auth_verify` step answers.
    issued: HashMap<String, String>,
}

/// What one connection sent back for a frame: the pushes before the reply, and the reply.
struct Answer {
    pushes: Vec<Received>,
    reply: Option<Received>,
    /// Whether the wait ended at the reply (an exchange), so that `pushes` are exactly those
    /// that came before it.
    exchanged: bool,
}

impl Live {
    /// Opens connection `name`.
    pub async fn open(&mut self, name: &str, url: &str, limits: &Limits) -> Result<(), CaseError> {
        let conn = Connection::connect(url, limits.clone()).await?;
        self.conns.insert(name.to_string(), conn);
        Ok(())
    }

    /// Runs a planned handshake during setup: the reply to its `auth_verify` (or the refusal of
    /// its `auth_request`).
    pub async fn handshake(&mut self, outgoing: &Outgoing) -> Result<Option<Frame>, CaseError> {
        let Outgoing::Handshake {
            conn,
            request,
            verify,
        } = outgoing
        else {
            return Err(CaseError::Setup(format!("not a handshake: {outgoing:?}")));
        };
        Ok(self
            .run_handshake(conn, request, verify)
            .await?
            .reply
            .map(|r| r.frame))
    }

    /// Reads (and logs) what every connection holds so far: setup pushes such as `assets`
    /// and the `channels`/`bu` pair after a login (NOTIF-3).
    pub async fn settle(&mut self) -> Result<(), CaseError> {
        for (name, pushes) in self.sync_all().await? {
            for r in pushes {
                self.wire.push(received(&name, &r));
            }
        }
        Ok(())
    }

    /// A ping round trip on every connection at once (one round trip of latency, not one per
    /// connection), with what each collected, in the connections' name order.
    async fn sync_all(&mut self) -> Result<Vec<(String, Vec<Received>)>, CaseError> {
        let syncs = self.conns.iter_mut().map(|(name, conn)| async move {
            conn.sync().await.map(|pushes| (name.clone(), pushes))
        });
        let synced = futures_util::future::join_all(syncs).await;
        synced
            .into_iter()
            .map(|r| r.map_err(CaseError::from))
            .collect()
    }

    /// Sends one planned step and collects the reply (`expects_reply`: else wait for silence)
    /// and the pushes every connection got.
    pub async fn send(
        &mut self,
        outgoing: &Outgoing,
        expects_reply: bool,
        target: &Target,
    ) -> Result<Observed, CaseError> {
        let (conn, answer) = match outgoing {
            Outgoing::Frame { conn, text } => {
                let answer = self.frame(conn, text, expects_reply).await?;
                self.note_challenge(conn, &answer);
                (conn, answer)
            }
            Outgoing::Handshake {
                conn,
                request,
                verify,
            } => (conn, self.run_handshake(conn, request, verify).await?),
            Outgoing::AuthVerify {
                conn,
                source,
                verify,
            } => {
                let issued = self.issued.get(source).ok_or_else(|| {
                    CaseError::Setup(format!("no auth_request was answered on {source}"))
                })?;
                let text = verify.text(issued);
                (conn, self.frame(conn, &text, true).await?)
            }
            Outgoing::Channel {
                wallet,
                status,
                amount,
            } => {
                let amount = crate::model::amount::render(amount);
                target
                    .channel(wallet, *status, &amount)
                    .await
                    .map_err(CaseError::Setup)?;
                // A hook sends nothing on a connection; pushes it caused are still collected.
                let none = Answer {
                    pushes: vec![],
                    reply: None,
                    exchanged: false,
                };
                (wallet, none)
            }
        };
        self.observe(conn, answer).await
    }

    /// Collects every connection's pushes after `answer` came on `sender`.
    async fn observe(&mut self, sender: &str, answer: Answer) -> Result<Observed, CaseError> {
        let mut observed = Observed {
            reply: answer.reply.map(|r| r.frame),
            sender: sender.to_string(),
            before_reply: answer.exchanged.then_some(answer.pushes.len()),
            ..Observed::default()
        };
        let mut own = Some(answer.pushes);
        // Pushes to other connections are queued before the sender's reply is written, so a
        // ping round trip collects all of them (and any that should not be there).
        for (name, pushes) in self.sync_all().await? {
            let mut got = match name == sender {
                true => own.take().unwrap_or_default(),
                false => Vec::new(),
            };
            for r in pushes {
                self.wire.push(received(&name, &r));
                got.push(r);
            }
            for r in got {
                if !r.frame.is_notification() {
                    observed.stray_replies.push(name.clone());
                } else {
                    observed
                        .pushes
                        .entry(name.clone())
                        .or_default()
                        .push(r.frame.clone());
                }
                observed.received.push((name.clone(), r.frame));
            }
        }
        if let Some(reply) = &observed.reply {
            observed.received.push((sender.to_string(), reply.clone()));
        }
        observed.wire = std::mem::take(&mut self.wire);
        Ok(observed)
    }

    fn conn(&mut self, name: &str) -> Result<&mut Connection, CaseError> {
        self.conns
            .get_mut(name)
            .ok_or_else(|| CaseError::Setup(format!("no connection {name}")))
    }

    /// Sends `text` on `conn`: with `expects_reply`, up to its reply; else it waits for
    /// silence and takes whatever came.
    async fn frame(
        &mut self,
        conn: &str,
        text: &str,
        expects_reply: bool,
    ) -> Result<Answer, CaseError> {
        if expects_reply {
            return match self.conn(conn)?.exchange(text).await {
                Ok(x) => Ok(self.answered(conn, x)),
                Err(e) => {
                    self.log_failed(conn, text, &e);
                    Err(e.into())
                }
            };
        }
        self.wire.push(WireLine {
            dir: Direction::Sent,
            conn: conn.to_string(),
            text: text.to_string(),
        });
        let c = self.conn(conn)?;
        c.send(text).await?;
        let came = c.drain(SILENCE_MS).await?;
        let mut answer = Answer {
            pushes: vec![],
            reply: None,
            exchanged: false,
        };
        for r in came {
            self.wire.push(received(conn, &r));
            match r.frame.is_notification() {
                true => answer.pushes.push(r),
                false => answer.reply = Some(r),
            }
        }
        Ok(answer)
    }

    /// A frame step whose reply issued a challenge: later `auth_verify` steps answer it (the
    /// shadow keeps the same record, and neither counts the challenges of handshakes).
    fn note_challenge(&mut self, conn: &str, answer: &Answer) {
        let Some(reply) = &answer.reply else { return };
        if let Some(challenge) = issued_challenge(&reply.frame.method, &reply.frame.params) {
            self.issued.insert(conn.to_string(), challenge.to_string());
        }
    }

    /// Logs an exchange.
    fn answered(&mut self, conn: &str, x: Exchange) -> Answer {
        self.wire.push(WireLine {
            dir: Direction::Sent,
            conn: conn.to_string(),
            text: x.sent.clone(),
        });
        for r in x.notifications.iter().chain(std::iter::once(&x.reply)) {
            self.wire.push(received(conn, r));
        }
        Answer {
            pushes: x.notifications,
            reply: Some(x.reply),
            exchanged: true,
        }
    }

    /// Logs a request whose exchange failed, and the frame that stood in its reply's place
    /// when it carried another request's id (WIRE-8), so the report shows both.
    fn log_failed(&mut self, conn: &str, text: &str, error: &ClientError) {
        self.wire.push(WireLine {
            dir: Direction::Sent,
            conn: conn.to_string(),
            text: text.to_string(),
        });
        if let ClientError::WrongReplyId(m) = error {
            self.wire.push(WireLine {
                dir: Direction::Received,
                conn: conn.to_string(),
                text: m.text.clone(),
            });
        }
    }

    /// `auth_request`, then `auth_verify` answering the challenge it got; a refused request is
    /// the answer itself.
    async fn run_handshake(
        &mut self,
        conn: &str,
        request: &str,
        verify: &VerifyFrame,
    ) -> Result<Answer, CaseError> {
        let first = self.frame(conn, request, true).await?;
        let challenge = first
            .reply
            .as_ref()
            .and_then(|r| issued_challenge(&r.frame.method, &r.frame.params).map(str::to_string));
        let Some(challenge) = challenge else {
            return Ok(first);
        };
        let mut second = self.frame(conn, &verify.text(&challenge), true).await?;
        let mut pushes = first.pushes;
        pushes.append(&mut second.pushes);
        second.pushes = pushes;
        Ok(second)
    }

    /// The case's connection names.
    pub fn names(&self) -> Vec<String> {
        self.conns.keys().cloned().collect()
    }

    /// The wire log not yet handed out (a step that ended in a harness error).
    pub fn take_wire(&mut self) -> Vec<WireLine> {
        std::mem::take(&mut self.wire)
    }

    /// Forgets the log so far (setup frames are not reported when setup succeeds).
    pub fn clear_wire(&mut self) {
        self.wire.clear();
    }

    pub async fn close(self) {
        for (_, conn) in self.conns {
            conn.close().await;
        }
    }
}

fn received(conn: &str, r: &Received) -> WireLine {
    WireLine {
        dir: Direction::Received,
        conn: conn.to_string(),
        text: r.text.clone(),
    }
}
